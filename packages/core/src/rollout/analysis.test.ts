import { describe, expect, it } from "vitest";
import { DEFAULT_JUDGE_POLICY } from "../canary/judge";
import type { RolloutStrategy } from "../canary/steps";
import type { ServerStats } from "../ports/edge-types";
import { type CanarySnapshot, planAnalysis, replicasAt, serviceCounters } from "./analysis";

const STRATEGY: RolloutStrategy = {
  kind: "canary",
  onFailure: "rollback",
  steps: [
    { weight: 10, holdMs: 10_000, holdRequests: 100 },
    { weight: 100, holdMs: 0, holdRequests: 0 },
  ],
};
const counts = (requests: number, errors = 0) => ({
  requests,
  errors,
  latency: { samples: requests, overBudget: 0 },
});
const snap = (over: Partial<CanarySnapshot> = {}): CanarySnapshot => ({
  strategy: STRATEGY,
  policy: DEFAULT_JUDGE_POLICY,
  state: undefined,
  counters: { api: { stable: counts(5_000), canary: counts(0) } },
  restarts: { "p/v2/api/1": 0 },
  converged: true,
  ...over,
});

describe("planAnalysis", () => {
  it("enters the first step with the counters of that moment as its baseline", () => {
    const step = planAnalysis(snap(), 1_000);
    expect(step).toMatchObject({ do: "set-weight", weight: 10 });
    expect(step.do === "set-weight" && step.state).toMatchObject({
      step: 0,
      enteredAt: 1_000,
      weight: 10,
      baseline: { api: { stable: counts(5_000), canary: counts(0) } },
    });
  });

  it("judges only what was counted since the step began, and advances on a healthy window", () => {
    const first = planAnalysis(snap(), 0);
    if (first.do !== "set-weight") throw new Error(first.do);
    const later = snap({
      state: first.state,
      counters: { api: { stable: counts(5_000 + 9_000), canary: counts(1_000) } },
    });
    const step = planAnalysis(later, 20_000);
    expect(step).toMatchObject({ do: "set-weight", weight: 100 });
    expect(step.do === "set-weight" && step.judgement?.services.api?.stable?.requests).toBe(9_000);
  });

  it("rolls back when a process of the new revision restarted, whatever the counters say", () => {
    const first = planAnalysis(snap(), 0);
    if (first.do !== "set-weight") throw new Error(first.do);
    const step = planAnalysis(snap({ state: first.state, restarts: { "p/v2/api/1": 1 } }), 5_000);
    expect(step).toMatchObject({ do: "roll-back" });
    expect(step.do === "roll-back" && step.reason).toMatch(/p\/v2\/api\/1 restarted 1 time/);
  });

  it("converges processes and edge to the stored step before judging again", () => {
    const first = planAnalysis(snap(), 0);
    if (first.do !== "set-weight") throw new Error(first.do);
    expect(planAnalysis(snap({ state: first.state, converged: false }), 5_000)).toEqual({
      do: "converge-canary",
    });
  });

  it("leaves out a service no request reached, so it cannot hold the others", () => {
    const first = planAnalysis(snap({ counters: { api: { stable: counts(0), canary: counts(0) } } }), 0);
    if (first.do !== "set-weight") throw new Error(first.do);
    const step = planAnalysis(
      snap({ state: first.state, counters: { api: { stable: counts(0), canary: counts(0) } } }),
      20_000,
    );
    expect(step).toMatchObject({ do: "hold" });
    expect(step.do === "hold" && step.judgement?.reason).toMatch(/no service judged/);
  });
});

describe("planAnalysis with probes", () => {
  it("a failing probe rolls back a healthy window; a pending one holds an advance", () => {
    const first = planAnalysis(snap(), 0);
    if (first.do !== "set-weight") throw new Error(first.do);
    const healthy = { api: { stable: counts(14_000), canary: counts(1_000) } };
    const failing = planAnalysis(
      snap({
        state: first.state,
        counters: healthy,
        probes: { verdict: "rollback", reason: "login p95 900 ms" },
      }),
      20_000,
    );
    expect(failing).toMatchObject({ do: "roll-back" });
    expect(failing.do === "roll-back" && failing.reason).toMatch(/probes: login p95 900 ms/);
    const pending = planAnalysis(
      snap({
        state: first.state,
        counters: healthy,
        probes: { verdict: "hold", reason: "job probe waiting" },
      }),
      20_000,
    );
    expect(pending).toMatchObject({ do: "hold" });
  });
});

describe("replicasAt", () => {
  it("runs every web replica, and a worker's share of its replicas (at least one) beside the stable ones", () => {
    expect(replicasAt({ type: "web", replicas: 3 }, 5)).toBe(3);
    expect(replicasAt({ type: "worker", replicas: 4 }, 5)).toBe(1);
    expect(replicasAt({ type: "worker", replicas: 4 }, 50)).toBe(2);
    expect(replicasAt({ type: "worker", replicas: 4 }, 100)).toBe(4);
  });
});

describe("serviceCounters", () => {
  it("adds up each revision's servers of one backend", () => {
    const row = (backend: string, server: string, requests: number, e5xx: number): ServerStats => ({
      backend,
      server,
      status: "UP",
      weight: 1,
      sessions: 0,
      requests,
      responses: { "1xx": 0, "2xx": requests - e5xx, "3xx": 0, "4xx": 0, "5xx": e5xx, other: 0 },
      latency: { samples: requests, p50Ms: 1, p95Ms: 9, p99Ms: 20, maxMs: 30, overBudget: 2 },
    });
    const c = serviceCounters(
      [
        row("api", "v1-1", 100, 1),
        row("api", "v1-2", 50, 0),
        row("api", "v2-1", 10, 3),
        row("web", "v2-1", 99, 9),
      ],
      "api",
      1,
      2,
    );
    expect(c.stable).toEqual({
      requests: 150,
      errors: 1,
      latency: { samples: 150, overBudget: 4, p95Ms: 9 },
    });
    expect(c.canary).toEqual({ requests: 10, errors: 3, latency: { samples: 10, overBudget: 2, p95Ms: 9 } });
  });
});
