import { describeBasis, describeCheck } from "./explain";
import { type SequentialResult, sequentialTest } from "./sequential";

/**
 * The canary judgement: stable and canary counts from the same window (since the step
 * began) → advance, hold or roll back, with the reason in words and every number.
 *
 * Checks, each an always-valid sequential test (see sequential.ts), so the judge may be
 * asked every few seconds without raising its false-rollback rate:
 * - `burn`: the SLO guardrail. H0: canary error rate ≤ fastBurn × (1 − target): a canary
 *   burning the error budget that fast fails it within seconds.
 * - `errors`: H0: canary error rate ≤ maxErrorRate (rollback when rejected); advancing needs
 *   the opposite test, H0: rate ≥ maxErrorRate, to be rejected.
 * - `errors-vs-stable`: conditional on the errors seen in both revisions, each came from the
 *   canary with probability π = n_c·p_c / (n_c·p_c + n_s·p_s). H0: p_c ≤ (1 + margin)·p_s,
 *   i.e. π ≤ π0 = n_c(1 + m) / (n_c(1 + m) + n_s). Exact for rare errors whatever the
 *   traffic split, needs no estimate of the stable rate, and compares the revisions over
 *   the same seconds, so a stable-wide incident does not blame the canary.
 * - `latency` and `latency-vs-stable`: the same two tests on "slower than the budget"
 *   counts; p95 ≤ budget means at most 5% of requests slower than the budget.
 * The false-rollback bound α is split evenly over the rollback tests (Bonferroni), so the
 * chance that a healthy canary is rolled back in one window is ≤ α, however often it looks.
 * Any test rolls back as soon as it rejects (valid at any sample size, so no minimum sample
 * holds a broken canary back); the minimum sample gates advancing. No data, or a metric
 * source that failed, is never a pass and never a rollback by itself.
 */

export interface ArmCounts {
  /** Responses in the window. */
  requests: number;
  /** 5xx responses (and failed jobs, for workers) in the window. */
  errors: number;
  /**
   * Requests with a measured latency (log lines; fewer than requests when sampled), how many
   * of them were slower than the policy's budget, and the p95 for the record.
   */
  latency?: { samples: number; overBudget: number; p95Ms?: number };
}

/** A metric source's answer: counts, or why it could not give them. */
export type ArmObservation = ArmCounts | { error: string };

export interface JudgePolicy {
  /** Highest acceptable canary error rate. @default 0.01 */
  maxErrorRate: number;
  /** Canary error (and slow) rate may exceed stable's by this fraction before it counts as worse. @default 0.5 */
  marginVsStable: number;
  /** Latency budget: the `quantile` of latency must stay ≤ `budgetMs`. @default { budgetMs: 250, quantile: 0.95 } */
  latency?: { budgetMs: number; quantile: number };
  /** SLO guardrail: roll back at once when the canary burns the error budget this fast. @default { target: 0.999, fastBurn: 14.4 } */
  slo?: { target: number; fastBurn: number };
  /** Canary requests in the window before it may advance. @default 50 */
  minRequests: number;
  /**
   * Bound on the chance of rolling back a healthy canary in one window (one step), however
   * often it looks; the default's three judged steps (5, 25, 50%) keep a rollout under 1%.
   * @default 0.003
   */
  alpha: number;
  /**
   * What one trial is: a web service's requests (errors are 5xx, latency is response time)
   * or a worker's jobs (errors are failed jobs, latency is job duration); only the words differ.
   * @default "requests"
   */
  unit?: "requests" | "jobs";
  /**
   * Advancing needs evidence that the canary is under each absolute limit (true), or only the
   * minimum sample with no evidence that it is worse (false). Proving a rate under 1% takes
   * hundreds of trials: fine for requests, which come by the thousand and which probes can add,
   * but a worker doing a few jobs a minute would hold its release for hours, so jobs advance
   * on the minimum sample and the absolute limits only roll back.
   * @default true
   */
  proveWithin?: boolean;
}

export const DEFAULT_JUDGE_POLICY: JudgePolicy = {
  maxErrorRate: 0.01,
  marginVsStable: 0.5,
  latency: { budgetMs: 250, quantile: 0.95 },
  slo: { target: 0.999, fastBurn: 14.4 },
  minRequests: 50,
  alpha: 0.003,
};

export type Verdict = "advance" | "hold" | "rollback";

export type CheckName = "burn" | "errors" | "errors-vs-stable" | "latency" | "latency-vs-stable";

export interface CheckResult {
  name: CheckName;
  /** fail: evidence the canary is worse; pass: evidence it is within the limit; pending: not yet either way. */
  outcome: "fail" | "pass" | "pending" | "skipped";
  /** What was counted ("errors", "slower than 250 ms"), or why the check was skipped. */
  what: string;
  /** Canary events and trials; for a comparison, canary events of all events in both revisions. */
  successes: number;
  trials: number;
  /** successes / trials, and the null value it is tested against. */
  observed: number;
  limit: number;
  /** For a comparison: each revision's events and trials. */
  arms?: { canary: [number, number]; stable: [number, number]; margin: number };
  /** The rollback test (H0: canary within the limit). */
  worse?: SequentialResult;
  /** The advance test (H0: canary at or over the limit), where there is one. */
  within?: SequentialResult;
}

/** The decision with its basis, in numbers only (what the simulator asks thousands of times). */
export interface Assessment {
  verdict: Verdict;
  basis:
    | { kind: "canary-unavailable" | "canary-unusable" | "stable-unavailable"; detail: string }
    | { kind: "worse" | "pending"; checks: CheckResult[] }
    | { kind: "no-traffic" | "within" }
    | { kind: "min-requests"; requests: number; needed: number };
  canary?: ArmCounts;
  stable?: ArmCounts;
  checks: CheckResult[];
  /** Burn rate of the SLO's error budget by the canary, when the policy has an SLO. */
  burnRate?: number;
}

/** An assessment in words and numbers, as recorded in the rollout's timeline. */
export interface Judgement extends Omit<Assessment, "checks"> {
  reason: string;
  checks: (CheckResult & { text: string })[];
}

const isCounts = (o: ArmObservation | undefined): o is ArmCounts => !!o && !("error" in o);

/** Why counts cannot be used, or undefined when they can. */
function invalid(c: ArmCounts): string | undefined {
  const ok = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;
  if (!ok(c.requests) || !ok(c.errors) || c.errors > c.requests)
    return `requests=${c.requests} errors=${c.errors} are not counts (need 0 ≤ errors ≤ requests)`;
  const l = c.latency;
  if (l && (!ok(l.samples) || !ok(l.overBudget) || l.overBudget > l.samples))
    return `latency samples=${l.samples} overBudget=${l.overBudget} are not counts`;
  return undefined;
}

/** One-sample check: the canary's rate of something against a fixed limit. */
function rateCheck(
  name: CheckName,
  what: string,
  successes: number,
  trials: number,
  limit: number,
  alpha: number,
  withAdvance: boolean,
): CheckResult {
  const worse = sequentialTest(successes, trials, limit, "greater", alpha);
  const within = withAdvance ? sequentialTest(successes, trials, limit, "less", alpha) : undefined;
  return {
    name,
    outcome: worse.rejected ? "fail" : within?.rejected ? "pass" : "pending",
    what,
    successes,
    trials,
    observed: trials > 0 ? successes / trials : 0,
    limit,
    worse,
    ...(within ? { within } : {}),
  };
}

/** Two-sample check: of the events seen in both revisions, did too many come from the canary? */
function comparisonCheck(
  name: CheckName,
  what: string,
  canary: { events: number; trials: number },
  stable: { events: number; trials: number },
  margin: number,
  alpha: number,
): CheckResult {
  const events = canary.events + stable.events;
  const share = canary.trials * (1 + margin);
  const pi0 = share / (share + stable.trials);
  const worse = sequentialTest(canary.events, events, pi0, "greater", alpha);
  return {
    name,
    outcome: worse.rejected ? "fail" : "pending",
    what,
    successes: canary.events,
    trials: events,
    observed: events ? canary.events / events : 0,
    limit: pi0,
    arms: { canary: [canary.events, canary.trials], stable: [stable.events, stable.trials], margin },
    worse,
  };
}

const skipped = (name: CheckName, why: string): CheckResult => ({
  name,
  outcome: "skipped",
  what: why,
  successes: 0,
  trials: 0,
  observed: 0,
  limit: 0,
});

/** The decision, in numbers; `judgeCanary` adds the words. */
export function assessCanary(
  input: { canary: ArmObservation; stable: ArmObservation },
  policy: JudgePolicy = DEFAULT_JUDGE_POLICY,
): Assessment {
  const { canary, stable } = input;
  const hold = (basis: Assessment["basis"]): Assessment => ({ verdict: "hold", basis, checks: [] });
  if (!isCounts(canary)) return hold({ kind: "canary-unavailable", detail: String(canary?.error) });
  const bad = invalid(canary);
  if (bad) return hold({ kind: "canary-unusable", detail: bad });
  const stableCounts = isCounts(stable) && !invalid(stable) ? stable : undefined;
  const stableProblem = !isCounts(stable)
    ? `stable metrics unavailable (${stable?.error})`
    : stableCounts
      ? undefined
      : `stable metrics unusable: ${invalid(stable)}`;

  const checks = runChecks(canary, stableCounts, stableProblem, policy);
  const base = {
    canary,
    ...(stableCounts ? { stable: stableCounts } : {}),
    checks,
    ...(policy.slo
      ? { burnRate: canary.requests ? canary.errors / canary.requests / (1 - policy.slo.target) : 0 }
      : {}),
  };
  const failed = checks.filter((c) => c.outcome === "fail");
  if (failed.length) return { ...base, verdict: "rollback", basis: { kind: "worse", checks: failed } };
  if (canary.requests === 0) return { ...base, verdict: "hold", basis: { kind: "no-traffic" } };
  if (stableProblem)
    return { ...base, verdict: "hold", basis: { kind: "stable-unavailable", detail: stableProblem } };
  if (canary.requests < policy.minRequests)
    return {
      ...base,
      verdict: "hold",
      basis: { kind: "min-requests", requests: canary.requests, needed: policy.minRequests },
    };
  // Advancing needs positive evidence on every absolute check; a latency never measured is no pass.
  const waiting = checks.filter(
    (c) => (c.outcome === "pending" && c.within) || (c.outcome === "skipped" && c.name === "latency"),
  );
  if (waiting.length) return { ...base, verdict: "hold", basis: { kind: "pending", checks: waiting } };
  return { ...base, verdict: "advance", basis: { kind: "within" } };
}

function runChecks(
  canary: ArmCounts,
  stable: ArmCounts | undefined,
  stableProblem: string | undefined,
  policy: JudgePolicy,
): CheckResult[] {
  // Fixed by the policy, not by which data arrived, so every look spends the same split.
  const tests = 2 + (policy.slo ? 1 : 0) + (policy.latency ? 2 : 0);
  const alpha = policy.alpha / tests;
  const noStable = stableProblem ?? "no stable";
  const jobs = policy.unit === "jobs";
  const errors = jobs ? "failed jobs" : "errors";
  const checks: CheckResult[] = [];
  if (policy.slo) {
    const limit = Math.min(0.5, policy.slo.fastBurn * (1 - policy.slo.target));
    checks.push(rateCheck("burn", errors, canary.errors, canary.requests, limit, alpha, false));
  }
  const prove = policy.proveWithin ?? true;
  checks.push(rateCheck("errors", errors, canary.errors, canary.requests, policy.maxErrorRate, alpha, prove));
  checks.push(
    stable
      ? comparisonCheck(
          "errors-vs-stable",
          errors,
          { events: canary.errors, trials: canary.requests },
          { events: stable.errors, trials: stable.requests },
          policy.marginVsStable,
          alpha,
        )
      : skipped("errors-vs-stable", `${noStable}: not compared`),
  );
  if (!policy.latency) return checks;
  const slow = `${jobs ? "jobs longer" : "slower"} than ${policy.latency.budgetMs} ms`;
  const cl = canary.latency;
  if (!cl || cl.samples === 0) {
    checks.push(
      skipped("latency", `no canary ${jobs ? "job duration" : "latency"} measured yet (${slow} unknown)`),
    );
    return checks;
  }
  checks.push(
    rateCheck("latency", slow, cl.overBudget, cl.samples, 1 - policy.latency.quantile, alpha, prove),
  );
  const sl = stable?.latency;
  checks.push(
    sl && sl.samples > 0
      ? comparisonCheck(
          "latency-vs-stable",
          slow,
          { events: cl.overBudget, trials: cl.samples },
          { events: sl.overBudget, trials: sl.samples },
          policy.marginVsStable,
          alpha,
        )
      : skipped("latency-vs-stable", `${stable ? "no stable latency" : noStable}: not compared`),
  );
  return checks;
}

/** The judgement of one window, in words and numbers (what the rollout records). */
export function judgeCanary(
  input: { canary: ArmObservation; stable: ArmObservation },
  policy: JudgePolicy = DEFAULT_JUDGE_POLICY,
): Judgement {
  const a = assessCanary(input, policy);
  const describe = (c: CheckResult) => describeCheck(c, a, policy);
  return {
    ...a,
    reason: describeBasis(a, describe, policy.unit ?? "requests"),
    checks: a.checks.map((c) => ({ ...c, text: describe(c) })),
  };
}
