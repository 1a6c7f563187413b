import { DEFAULT_CANARY_STEPS, DEFAULT_JUDGE_POLICY, strategyFromSpec } from "@slipway/core";
import { describe, expect, it } from "vitest";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

const stack = (strategy: unknown): StackInput =>
  ({
    name: "shop",
    services: { api: { type: "web", command: ["node", "server.js"] } },
    environments: { prod: { strategy } },
  }) as StackInput;

function parsed(strategy: unknown) {
  const r = validateStack(stack(strategy));
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
  return r.stack.environments.prod!.strategy;
}

describe("release strategy in the spec", () => {
  it("defaults to direct, and a bare canary to the seeds' 5 → 25 → 50 → 100 with the judge's defaults", () => {
    expect(validateStack({ ...stack(undefined), environments: { prod: {} } })).toMatchObject({ ok: true });
    const { strategy, policy } = strategyFromSpec(parsed({ kind: "canary" }));
    expect(strategy).toEqual({ kind: "canary", onFailure: "rollback", steps: DEFAULT_CANARY_STEPS });
    expect(policy).toEqual(DEFAULT_JUDGE_POLICY);
  });

  it("turns minutes into the step machine's milliseconds and the analysis into the judge's policy", () => {
    const { strategy, policy } = strategyFromSpec(
      parsed({
        kind: "blueGreen",
        keepWarmMinutes: 10,
        onFailure: "freeze",
        analysis: { maxErrorRate: 0.02, latency: { budgetMs: 400 } },
      }),
    );
    expect(strategy).toEqual({ kind: "blueGreen", keepWarmMs: 600_000, onFailure: "freeze" });
    expect(policy).toMatchObject({ maxErrorRate: 0.02, latency: { budgetMs: 400, quantile: 0.95 } });
  });

  it("refuses weights that go down or never reach 100, naming the step", () => {
    const issuesOf = (steps: unknown) => {
      const r = validateStack(stack({ kind: "canary", steps }));
      return r.ok ? [] : r.issues.map((i) => [i.path.join("."), i.message]);
    };
    expect(issuesOf([{ weight: 10 }, { weight: 5 }, { weight: 100 }])).toEqual([
      ["environments.prod.strategy.steps.1.weight", "weights only go up: 5 after 10"],
    ]);
    expect(issuesOf([{ weight: 5 }, { weight: 25 }])).toEqual([
      ["environments.prod.strategy.steps.1.weight", "the last step must send all traffic (weight 100)"],
    ]);
  });

  it("names an unknown strategy kind", () => {
    const r = validateStack(stack({ kind: "rainbow" }));
    expect(r.ok || r.issues[0]!.path.join(".")).toBe("environments.prod.strategy.kind");
  });
});
