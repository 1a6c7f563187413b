import { type ArmCounts, assessCanary, DEFAULT_JUDGE_POLICY, type JudgePolicy } from "./judge";
import type { SimArm, SimPolicy } from "./simulate";

/**
 * Judge policies for the simulator: ours, and the static gates Flagger and Argo Rollouts
 * apply, modelled from their documented behaviour. A static gate looks at the canary alone,
 * over the last interval only, and compares the raw rate with the threshold: no baseline,
 * no allowance for sampling noise, no correction for looking again every interval.
 */

/** A simulated revision's counts as the judge takes them (every request's latency measured). */
export function judgeInput(a: SimArm, budgetMs: number | undefined): ArmCounts {
  return {
    requests: a.requests,
    errors: a.errors,
    ...(budgetMs !== undefined
      ? { latency: { samples: a.requests, overBudget: a.slowerThan[budgetMs]! } }
      : {}),
  };
}

/** Ours: the sequential judge on everything seen since the step began, every `intervalS`. */
export function sequentialPolicy(
  policy: JudgePolicy = DEFAULT_JUDGE_POLICY,
  intervalS = 5,
  name = "slipway",
): SimPolicy {
  const budget = policy.latency?.budgetMs;
  const counts = (a: SimArm) => judgeInput(a, budget);
  return {
    name,
    intervalS,
    latencyThresholdsMs: budget !== undefined ? [budget] : [],
    begin: () => (look) =>
      assessCanary({ canary: counts(look.total.canary), stable: counts(look.total.stable) }, policy).verdict,
  };
}

/** A static threshold on the canary's last interval: success rate ≥ 1 − maxErrorRate and p99 ≤ p99MaxMs. */
export interface StaticGate {
  maxErrorRate: number;
  p99MaxMs: number;
}

/** The gate in Flagger's and Argo's tutorials: success rate ≥ 99%, P99 ≤ 500 ms. */
export const TUTORIAL_GATE: StaticGate = { maxErrorRate: 0.01, p99MaxMs: 500 };

export function checkGate(arm: SimArm, gate: StaticGate): "pass" | "fail" | "no-data" {
  if (arm.requests === 0) return "no-data";
  if (arm.errors / arm.requests > gate.maxErrorRate) return "fail";
  // Nearest-rank p99 is above the limit when more than n − ⌈0.99 n⌉ requests are.
  const slower = arm.slowerThan[gate.p99MaxMs] ?? 0;
  return slower > arm.requests - Math.ceil(0.99 * arm.requests) ? "fail" : "pass";
}

/**
 * Flagger: every `interval` a failed check (or no values, which halts advancement and counts
 * as failed) adds one to the failed checks; at `threshold` failed checks it rolls back.
 * Times here start at the canary's first request (Flagger's initialisation interval is not
 * counted, which favours it).
 */
export function flaggerPolicy(
  name: string,
  intervalS: number,
  threshold: number,
  gate = TUTORIAL_GATE,
): SimPolicy {
  return {
    name,
    intervalS,
    latencyThresholdsMs: [gate.p99MaxMs],
    begin: () => {
      let failedChecks = 0;
      return (look) => {
        const result = checkGate(look.last.canary, gate);
        if (result === "pass") return "advance";
        failedChecks++;
        return failedChecks >= threshold ? "rollback" : "hold";
      };
    },
  };
}

/**
 * Argo Rollouts: a measurement every `interval`; more than `failureLimit` failed ones fails the
 * analysis and aborts the rollout; a measurement with no data is an error, and more than
 * `consecutiveErrorLimit` errors in a row fail it too (defaults 0 and 4).
 */
export function argoPolicy(
  name: string,
  intervalS: number,
  failureLimit = 0,
  consecutiveErrorLimit = 4,
  gate = TUTORIAL_GATE,
): SimPolicy {
  return {
    name,
    intervalS,
    latencyThresholdsMs: [gate.p99MaxMs],
    begin: () => {
      let failed = 0;
      let errorsInRow = 0;
      return (look) => {
        const result = checkGate(look.last.canary, gate);
        errorsInRow = result === "no-data" ? errorsInRow + 1 : 0;
        if (result === "fail") failed++;
        if (failed > failureLimit || errorsInRow > consecutiveErrorLimit) return "rollback";
        return result === "pass" ? "advance" : "hold";
      };
    },
  };
}

/** The four policies of the benchmark, side by side. */
export function benchmarkPolicies(): SimPolicy[] {
  return [
    sequentialPolicy(),
    flaggerPolicy("flagger-default", 60, 1),
    flaggerPolicy("flagger-tutorial", 60, 5),
    argoPolicy("argo-default", 60),
  ];
}
