import { describe, expect, it } from "vitest";
import {
  type CommandProbe,
  combineProbeOutcomes,
  evaluateProbe,
  type HttpCall,
  type HttpProbe,
  type ProbeResult,
  type TriggerPollObservation,
  type TriggerPollProbe,
} from "./probes";

const login: HttpProbe = {
  kind: "http",
  name: "login",
  method: "GET",
  path: "/api/login",
  calls: 20,
  p95BudgetMs: 250,
  expectStatus: [200],
};
const job: TriggerPollProbe = {
  kind: "job",
  name: "square",
  trigger: { method: "POST", path: "/api/jobs", body: { n: 3 } },
  idField: "id",
  poll: "/api/jobs/{id}",
  doneField: "state",
  doneValues: ["completed"],
  failedValues: ["failed"],
  deadlineSeconds: 60,
  pollIntervalMs: 200,
};
const hash: CommandProbe = {
  kind: "command",
  name: "hash",
  service: "api",
  command: ["node", "x.mjs"],
  timeoutSeconds: 30,
};
const calls = (ms: number[], status = 200): HttpCall[] => ms.map((m) => ({ status, ms: m }));

describe("evaluateProbe: http", () => {
  it("passes when every call answers as expected and p95 is within budget", () => {
    const r = evaluateProbe(login, {
      kind: "http",
      calls: calls(Array.from({ length: 20 }, (_, i) => 10 + i)),
    });
    expect(r).toMatchObject({ outcome: "pass", numbers: { p95Ms: 28, budgetMs: 250, answered: 20 } });
    expect(r.reason).toBe("http probe login: p95 28 ms over 20 calls, within 250 ms");
  });

  it("fails on a p95 over budget, naming both numbers", () => {
    const slow = [...calls(Array.from({ length: 18 }, () => 20)), ...calls([400, 900])];
    const r = evaluateProbe(login, { kind: "http", calls: slow });
    expect(r.outcome).toBe("fail");
    expect(r.reason).toBe("http probe login: p95 400 ms over 20 calls, budget 250 ms");
  });

  it("fails on any unexpected status, even before all calls are made", () => {
    const r = evaluateProbe(login, { kind: "http", calls: [...calls([5, 5]), ...calls([5], 503)] });
    expect(r.outcome).toBe("fail");
    expect(r.reason).toContain("1 of 3 calls answered 503, expected 200");
  });

  it("holds when calls could not be made (the edge down says nothing about the canary)", () => {
    const r = evaluateProbe(login, { kind: "http", calls: [...calls([5]), { error: "ECONNREFUSED" }] });
    expect(r.outcome).toBe("pending");
    expect(r.reason).toContain("1 of 20 calls answered (1 could not be made: ECONNREFUSED)");
  });
});

describe("evaluateProbe: job and event", () => {
  const seen = (o: Partial<TriggerPollObservation>) =>
    evaluateProbe(job, {
      kind: "job",
      trigger: { status: 202, id: "j1" },
      elapsedMs: 1200,
      running: false,
      ...o,
    });

  it("passes when the poll reports done within the deadline", () => {
    const r = seen({ lastValue: "completed" });
    expect(r).toMatchObject({ outcome: "pass", numbers: { elapsedMs: 1200, deadlineMs: 60_000 } });
    expect(r.reason).toBe("job probe square: j1 was completed after 1200 ms, within 60000 ms");
  });

  it("fails when it failed, or when the deadline passed first", () => {
    expect(seen({ lastValue: "failed" }).outcome).toBe("fail");
    const late = seen({ lastValue: "active", elapsedMs: 60_050 });
    expect(late.outcome).toBe("fail");
    expect(late.reason).toBe("job probe square: j1 still active after 60050 ms, deadline 60000 ms");
    expect(seen({ lastValue: "completed", elapsedMs: 61_000 }).outcome).toBe("fail");
  });

  it("is pending while it runs, or when the edge could not be reached at all", () => {
    expect(seen({ lastValue: "waiting", running: true }).outcome).toBe("pending");
    expect(seen({ trigger: { error: "ECONNREFUSED" } }).outcome).toBe("pending");
    expect(seen({ pollError: "ECONNREFUSED", elapsedMs: 61_000 }).outcome).toBe("pending");
  });

  it("fails when the canary refuses the trigger or answers without an id", () => {
    expect(seen({ trigger: { status: 500 } }).reason).toBe(
      "job probe square: the trigger /api/jobs answered 500",
    );
    expect(seen({ trigger: { status: 202 } }).reason).toContain('has no "id" field');
  });
});

describe("evaluateProbe: command", () => {
  it("passes on exit 0 and fails otherwise, with the output's end", () => {
    expect(evaluateProbe(hash, { kind: "command", exitCode: 0, timedOut: false }).outcome).toBe("pass");
    const r = evaluateProbe(hash, {
      kind: "command",
      exitCode: 3,
      timedOut: false,
      outputTail: "hash changed",
    });
    expect(r).toMatchObject({ outcome: "fail", numbers: { exitCode: 3 } });
    expect(r.reason).toBe("command probe hash: node x.mjs exited 3; output ends: hash changed");
    expect(evaluateProbe(hash, { kind: "command", exitCode: null, timedOut: true }).outcome).toBe("fail");
    expect(
      evaluateProbe(hash, { kind: "command", exitCode: null, timedOut: false, error: "ENOENT" }).outcome,
    ).toBe("pending");
  });
});

describe("combineProbeOutcomes", () => {
  const r = (outcome: ProbeResult["outcome"]): ProbeResult => ({
    name: "p",
    kind: "http",
    outcome,
    reason: "",
    numbers: {},
  });
  it("fails on any failure, holds on any pending, passes otherwise", () => {
    expect(combineProbeOutcomes([r("pass"), r("pending"), r("fail")])).toBe("fail");
    expect(combineProbeOutcomes([r("pass"), r("pending")])).toBe("pending");
    expect(combineProbeOutcomes([r("pass")])).toBe("pass");
    expect(combineProbeOutcomes([])).toBe("pass");
  });
});
