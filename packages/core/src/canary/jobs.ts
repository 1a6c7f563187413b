import { type ArmCounts, DEFAULT_JUDGE_POLICY, type JudgePolicy } from "./judge";

/**
 * A worker's jobs as canary evidence. Workers report each job's outcome and duration (the
 * runtime SDK's `jobs()`); the control plane keeps cumulative counts per release and service,
 * durations as a histogram of geometric buckets (each 10% wider than the one before), so
 * counts from many processes and many reports add up and a restarted control plane loses
 * nothing. The judge sees them as it sees a web service's requests: trials are jobs, errors
 * are failed jobs, "slower than the budget" is a job longer than the duration budget.
 */

/** Cumulative job counts of one release's service. `buckets[k]` counts jobs whose duration is in bucket k. */
export interface JobTally {
  completed: number;
  failed: number;
  buckets: Record<number, number>;
}

const GROWTH = 1.1;

/** The bucket a duration falls in: bucket 0 is ≤ 1 ms, bucket k is (1.1^(k-1), 1.1^k] ms. */
export function durationBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.ceil(Math.log(ms) / Math.log(GROWTH) - 1e-9);
}

/** Upper edge of bucket k, in ms. */
export const bucketUpperMs = (k: number): number => GROWTH ** k;

/**
 * The default policy for jobs: roll back on evidence of more than 1% failed or more than 50%
 * worse than stable; advance after 20 jobs in the step without such evidence (see `proveWithin`).
 */
export const DEFAULT_JOB_POLICY: JudgePolicy = {
  maxErrorRate: 0.01,
  marginVsStable: 0.5,
  minRequests: 20,
  alpha: DEFAULT_JUDGE_POLICY.alpha,
  unit: "jobs",
  proveWithin: false,
};

/**
 * A tally as the judge's counts. A job is "over budget" when its whole bucket lies above the
 * budget, so a job within 10% over the budget may count as within: the test errs towards
 * the canary, never towards a false rollback. The p95 is the upper edge of its bucket.
 */
export function jobArm(t: JobTally, budgetMs?: number): ArmCounts {
  const jobs = t.completed + t.failed;
  if (budgetMs === undefined) return { requests: jobs, errors: t.failed };
  const buckets = Object.entries(t.buckets)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const samples = buckets.reduce((s, [, n]) => s + n, 0);
  const overBudget = buckets
    .filter(([k]) => k > 0 && bucketUpperMs(k - 1) >= budgetMs)
    .reduce((s, [, n]) => s + n, 0);
  return {
    requests: jobs,
    errors: t.failed,
    latency: { samples, overBudget, ...(samples ? { p95Ms: quantileMs(buckets, samples, 0.95) } : {}) },
  };
}

function quantileMs(buckets: (readonly [number, number])[], samples: number, q: number): number {
  let seen = 0;
  for (const [k, n] of buckets) {
    seen += n;
    if (seen >= q * samples) return Math.round(bucketUpperMs(k) * 10) / 10;
  }
  return Math.round(bucketUpperMs(buckets.at(-1)![0]) * 10) / 10;
}
