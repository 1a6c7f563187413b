import { quantile, type RunOutcome, type TrafficModel } from "./simulate";

/**
 * The benchmark's traffic models: stable at 0.1% errors with a log-normal latency (median
 * 60 ms, p95 ≈ 160 ms, p99 ≈ 240 ms), the canary taking 5% of requests, traffic swinging
 * ±30% over a day with bursty 5-second slices.
 */
export const BASE_LATENCY = { medianMs: 60, sigma: 0.6 };

export interface ScenarioOptions {
  /** Requests per second to the canary and stable together. */
  totalRps: number;
  /** @default 0.05 */
  canaryShare?: number;
  /** @default 0.001 */
  stableErrorRate?: number;
  /** @default the stable rate */
  canaryErrorRate?: number;
  /** Canary latency = stable latency × this. @default 1 */
  latencyFactor?: number;
}

export function scenario(o: ScenarioOptions): TrafficModel {
  const stableErrorRate = o.stableErrorRate ?? 0.001;
  return {
    totalRps: o.totalRps,
    canaryShare: o.canaryShare ?? 0.05,
    stable: { errorRate: stableErrorRate, latency: BASE_LATENCY },
    canary: {
      errorRate: o.canaryErrorRate ?? stableErrorRate,
      latency: { ...BASE_LATENCY, medianMs: BASE_LATENCY.medianMs * (o.latencyFactor ?? 1) },
    },
    diurnal: { amplitude: 0.3, periodS: 86_400 },
    burstiness: 0.2,
  };
}

/** Total rate that sends `perMinute` requests a minute to a canary at 5%. */
export const canaryAtPerMinute = (perMinute: number) => perMinute / 60 / 0.05;

export interface OutcomeSummary {
  runs: number;
  rolledBackPct: number;
  /** Seconds to rollback among the runs rolled back (NaN when none). */
  medianS: number;
  p95S: number;
  advancedPct: number;
  medianAdvanceS: number;
}

export function summarize(outcomes: RunOutcome[]): OutcomeSummary {
  const rollbacks = outcomes.flatMap((o) => (o.rollbackAtS === undefined ? [] : [o.rollbackAtS]));
  const advances = outcomes.flatMap((o) => (o.advanceAtS === undefined ? [] : [o.advanceAtS]));
  return {
    runs: outcomes.length,
    rolledBackPct: (100 * rollbacks.length) / outcomes.length,
    medianS: quantile(rollbacks, 0.5),
    p95S: quantile(rollbacks, 0.95),
    advancedPct: (100 * advances.length) / outcomes.length,
    medianAdvanceS: quantile(advances, 0.5),
  };
}
