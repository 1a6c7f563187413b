import { type Random, seededRandom } from "./random";

/**
 * Replays rollouts from a traffic model through judge policies, all policies seeing the
 * same simulated traffic in each run (a paired comparison). Pure: the same seed gives the
 * same result. Traffic is drawn in 5-second slices: requests per revision (Poisson, around
 * a rate with diurnal swing and bursty noise), 5xx among them (binomial) and how many were
 * slower than each latency threshold a policy asks about (nested binomials from a
 * log-normal latency, so "slower than 500 ms" ⊆ "slower than 250 ms").
 */

export interface RevisionModel {
  errorRate: number;
  /** Log-normal latency: median and σ of ln(latency). */
  latency: { medianMs: number; sigma: number };
}

export interface TrafficModel {
  /** Requests per second to both revisions together, on average. */
  totalRps: number;
  /** Share of requests that reach the canary, 0-1. */
  canaryShare: number;
  stable: RevisionModel;
  canary: RevisionModel;
  /** The rate swings by ±amplitude over a period (a day), from a random phase per run. */
  diurnal?: { amplitude: number; periodS: number };
  /** σ of a log-normal factor on the rate of each slice (bursty traffic). */
  burstiness?: number;
}

/** Counts of one revision over some seconds. */
export interface SimArm {
  requests: number;
  errors: number;
  /** Requests slower than each threshold the policies asked for, by threshold (ms). */
  slowerThan: Record<number, number>;
}

export interface Look {
  /** Seconds since the canary took its first request. */
  t: number;
  /** Since the canary started (a step's window). */
  total: { canary: SimArm; stable: SimArm };
  /** Since this policy's previous look (a fixed-interval check's window). */
  last: { canary: SimArm; stable: SimArm };
}

export type SimVerdict = "rollback" | "advance" | "hold";

/** A judge policy as the simulator drives it. */
export interface SimPolicy {
  name: string;
  /** Seconds between looks; a multiple of SLICE_S. */
  intervalS: number;
  latencyThresholdsMs: number[];
  /** A fresh judge for one rollout (policies with memory, like failed-check counters, keep it here). */
  begin(): (look: Look) => SimVerdict;
}

export interface RunOutcome {
  /** Seconds to the first rollback verdict, if any within the duration. */
  rollbackAtS?: number;
  /** Seconds to the first advance verdict, if any. */
  advanceAtS?: number;
}

export const SLICE_S = 5;

export interface SimulateOptions {
  runs: number;
  seed: number;
  /** Seconds of traffic per rollout (the analysis at one weight). */
  durationS: number;
}

/** Outcomes per policy name, one per run. */
export function simulate(
  model: TrafficModel,
  policies: SimPolicy[],
  options: SimulateOptions,
): Record<string, RunOutcome[]> {
  const thresholds = [...new Set(policies.flatMap((p) => p.latencyThresholdsMs))].sort((a, b) => a - b);
  const outcomes: Record<string, RunOutcome[]> = Object.fromEntries(policies.map((p) => [p.name, []]));
  for (let run = 0; run < options.runs; run++) {
    const random = seededRandom(options.seed * 1_000_003 + run);
    const results = simulateRun(model, policies, thresholds, options.durationS, random);
    policies.forEach((p, i) => {
      outcomes[p.name]!.push(results[i]!);
    });
  }
  return outcomes;
}

/** Running counts of one revision; `slower[i]` is for the i-th threshold of the run. */
interface Tally {
  requests: number;
  errors: number;
  slower: number[];
}

/** Both revisions' totals at some moment, to count from. */
export interface TrafficMark {
  canary: Tally;
  stable: Tally;
}

/** One run's traffic, drawn one slice at a time; the canary's share may change between slices. */
export interface TrafficRun {
  /** Draws the slice ending at `t` seconds, sending `canaryShare` of requests to the canary. */
  draw(t: number, canaryShare: number): void;
  /** The totals now, to count from later. */
  mark(): TrafficMark;
  /** Counts from `mark` (or the first request) to now, by threshold. */
  since(mark?: TrafficMark): { canary: SimArm; stable: SimArm };
}

export function trafficRun(model: TrafficModel, thresholds: number[], random: Random): TrafficRun {
  const draws = {
    canary: revisionDraw(model.canary, thresholds),
    stable: revisionDraw(model.stable, thresholds),
  };
  const phase = random.next() * 2 * Math.PI;
  const zero = (): Tally => ({ requests: 0, errors: 0, slower: thresholds.map(() => 0) });
  const total = { canary: zero(), stable: zero() };
  const copy = (a: Tally): Tally => ({ ...a, slower: [...a.slower] });
  return {
    draw(t, canaryShare) {
      const rate = sliceRate(model, t, phase, random);
      addSlice(total.canary, draws.canary, rate * canaryShare, random);
      addSlice(total.stable, draws.stable, rate * (1 - canaryShare), random);
    },
    mark: () => ({ canary: copy(total.canary), stable: copy(total.stable) }),
    since: (mark) => ({
      canary: view(total.canary, thresholds, mark?.canary),
      stable: view(total.stable, thresholds, mark?.stable),
    }),
  };
}

function simulateRun(
  model: TrafficModel,
  policies: SimPolicy[],
  thresholds: number[],
  durationS: number,
  random: Random,
): RunOutcome[] {
  const judges = policies.map((p) => p.begin());
  const results: RunOutcome[] = policies.map(() => ({}));
  const open = new Set(policies.map((_, i) => i));
  const traffic = trafficRun(model, thresholds, random);
  const start = traffic.mark();
  // The totals at each policy's previous look: its "last interval" counts from there.
  const lastLook = policies.map(() => start);
  for (let t = SLICE_S; t <= durationS && open.size; t += SLICE_S) {
    traffic.draw(t, model.canaryShare);
    for (const i of open) {
      if (t % policies[i]!.intervalS !== 0) continue;
      const verdict = judges[i]!({ t, total: traffic.since(), last: traffic.since(lastLook[i]) });
      lastLook[i] = traffic.mark();
      if (verdict === "advance" && results[i]!.advanceAtS === undefined) results[i]!.advanceAtS = t;
      if (verdict === "rollback") {
        results[i]!.rollbackAtS = t;
        open.delete(i);
      }
    }
  }
  return results;
}

/** Counts from `since` (or the start) to now, keyed by threshold for the policies. */
function view(now: Tally, thresholds: number[], since?: Tally): SimArm {
  const slowerThan: Record<number, number> = {};
  thresholds.forEach((ms, i) => {
    slowerThan[ms] = now.slower[i]! - (since?.slower[i] ?? 0);
  });
  return {
    requests: now.requests - (since?.requests ?? 0),
    errors: now.errors - (since?.errors ?? 0),
    slowerThan,
  };
}

/** Mean requests per second over one slice. */
function sliceRate(model: TrafficModel, t: number, phase: number, random: Random): number {
  const d = model.diurnal;
  const swing = d ? 1 + d.amplitude * Math.sin((2 * Math.PI * t) / d.periodS + phase) : 1;
  const burst = model.burstiness
    ? Math.exp(model.burstiness * random.normal() - model.burstiness ** 2 / 2)
    : 1;
  return model.totalRps * swing * burst;
}

/** A revision's error rate and P(slower than each threshold), computed once per model. */
interface RevisionDraw {
  errorRate: number;
  tails: number[];
}

function revisionDraw(rev: RevisionModel, thresholds: number[]): RevisionDraw {
  return { errorRate: rev.errorRate, tails: thresholds.map((ms) => latencyTail(rev, ms)) };
}

function addSlice(into: Tally, rev: RevisionDraw, rps: number, random: Random) {
  const requests = random.poisson(rps * SLICE_S);
  into.requests += requests;
  into.errors += random.binomial(requests, rev.errorRate);
  // Nested draws: of those slower than the previous threshold, how many are slower than this one.
  let pool = requests;
  let tailBefore = 1;
  rev.tails.forEach((tail, i) => {
    pool = random.binomial(pool, tailBefore > 0 ? tail / tailBefore : 0);
    tailBefore = tail;
    into.slower[i]! += pool;
  });
}

/** P(latency > ms) for a log-normal latency. */
export function latencyTail(rev: RevisionModel, ms: number): number {
  return normalTail(Math.log(ms / rev.latency.medianMs) / rev.latency.sigma);
}

/** P(Z > z) for a standard normal Z: ½ minus the density integrated from 0 to z by Simpson's rule. */
function normalTail(z: number): number {
  if (z < 0) return 1 - normalTail(-z);
  if (z > 12) return 0;
  const steps = 400;
  const h = z / steps;
  const density = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let sum = density(0) + density(z);
  for (let i = 1; i < steps; i++) sum += density(i * h) * (i % 2 ? 4 : 2);
  return Math.max(0, 0.5 - (sum * h) / 3);
}

/** Nearest-rank quantile of numbers (NaN when empty). */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
