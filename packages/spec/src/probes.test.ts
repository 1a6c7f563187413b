import { describe, expect, it } from "vitest";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

const stack = (probes: unknown): StackInput =>
  ({
    name: "shop",
    services: { api: { type: "web", command: ["node", "server.js"] } },
    environments: { prod: { strategy: { kind: "canary", analysis: { probes } } } },
  }) as StackInput;

function probesOf(probes: unknown) {
  const r = validateStack(stack(probes));
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
  const s = r.stack.environments.prod!.strategy;
  return s.kind === "direct" ? [] : s.analysis.probes;
}

function issues(probes: unknown) {
  const r = validateStack(stack(probes));
  return r.ok ? [] : r.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("probes in the spec (strategy.analysis.probes)", () => {
  it("fills in the seed's defaults for each kind", () => {
    const [http, job, event, command] = probesOf([
      { kind: "http", name: "login", path: "/api/login" },
      { kind: "job", name: "square", trigger: { path: "/api/jobs", body: { n: 3 } }, poll: "/api/jobs/{id}" },
      { kind: "event", name: "delivery", trigger: { path: "/api/events" }, poll: "/api/events/{id}" },
      { kind: "command", name: "hash", service: "api", command: ["node", "hash.mjs"] },
    ]);
    expect(http).toEqual({
      kind: "http",
      name: "login",
      method: "GET",
      path: "/api/login",
      calls: 20,
      p95BudgetMs: 250,
      expectStatus: [200],
    });
    expect(job).toMatchObject({
      trigger: { method: "POST", path: "/api/jobs", body: { n: 3 } },
      idField: "id",
      doneField: "state",
      doneValues: ["completed"],
      failedValues: ["failed"],
      deadlineSeconds: 60,
    });
    expect(event).toMatchObject({ kind: "event", deadlineSeconds: 3 });
    expect(command).toMatchObject({ service: "api", timeoutSeconds: 30 });
  });

  it("defaults to no probes", () => {
    expect(probesOf(undefined)).toEqual([]);
  });

  it("names the field and the fix for a bad probe", () => {
    expect(issues([{ kind: "job", name: "j", trigger: { path: "/api/jobs" }, poll: "/api/jobs" }])).toEqual([
      expect.stringContaining('poll: the poll path must contain "{id}"'),
    ]);
    expect(
      issues([
        { kind: "http", name: "a", path: "/" },
        { kind: "http", name: "a", path: "/x" },
      ]),
    ).toEqual([expect.stringMatching(/probes\.1\.name: two probes are named "a"/)]);
    expect(issues([{ kind: "command", name: "c", service: "nope", command: ["true"] }])).toEqual([
      expect.stringMatching(/probes\.0\.service: no service named "nope"/),
    ]);
    expect(issues([{ kind: "http", name: "a", path: "no-slash" }])[0]).toMatch(/probes\.0\.path/);
  });
});
