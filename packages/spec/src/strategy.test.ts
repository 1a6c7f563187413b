import {
  DEFAULT_CANARY_STEPS,
  DEFAULT_JOB_POLICY,
  DEFAULT_JUDGE_POLICY,
  strategyFromSpec,
} from "@slipway/core";
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

  it("judges workers' jobs by the job policy: defaults, thresholds, and a bad value named", () => {
    expect(strategyFromSpec(parsed({ kind: "canary" })).jobPolicy).toEqual(DEFAULT_JOB_POLICY);
    const { jobPolicy } = strategyFromSpec(
      parsed({
        kind: "canary",
        analysis: { jobs: { maxFailureRate: 0.05, minJobs: 50, duration: { budgetMs: 2_000 } } },
      }),
    );
    expect(jobPolicy).toMatchObject({
      unit: "jobs",
      maxErrorRate: 0.05,
      minRequests: 50,
      latency: { budgetMs: 2_000, quantile: 0.95 },
    });
    const r = validateStack(stack({ kind: "canary", analysis: { jobs: { maxFailureRate: 2 } } }));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.map((i) => i.path.join("."))).toContain(
        "environments.prod.strategy.analysis.jobs.maxFailureRate",
      );
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
