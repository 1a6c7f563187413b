import type { ArmCounts, ArmObservation } from "./judge";

/**
 * A step's window from cumulative counters. Metric sources (HAProxy's `show stat`, a worker's
 * job counters) count since they started; the judge wants counts since the step began, so
 * the rollout stores each revision's counters when it enters a step and subtracts. A counter
 * that went backwards means the source restarted in between: the window is unknown, which
 * the judge treats as inconclusive, never as zero errors.
 */
export function countsInWindow(now: ArmObservation, atStepStart: ArmCounts | undefined): ArmObservation {
  if ("error" in now || !atStepStart) return now;
  const requests = now.requests - atStepStart.requests;
  const errors = now.errors - atStepStart.errors;
  if (requests < 0 || errors < 0)
    return {
      error: `counters went backwards since the step began (requests ${atStepStart.requests} → ${now.requests}, errors ${atStepStart.errors} → ${now.errors}); the metric source restarted`,
    };
  const l = now.latency;
  const l0 = atStepStart.latency;
  if (!l) return { requests, errors };
  if (!l0) return { requests, errors, latency: l };
  const samples = l.samples - l0.samples;
  const overBudget = l.overBudget - l0.overBudget;
  if (samples < 0 || overBudget < 0)
    return {
      error: `latency counters went backwards since the step began (samples ${l0.samples} → ${l.samples})`,
    };
  // The p95 is the source's own summary (not a counter), recorded as it reports it.
  return {
    requests,
    errors,
    latency: { samples, overBudget, ...(l.p95Ms !== undefined ? { p95Ms: l.p95Ms } : {}) },
  };
}
