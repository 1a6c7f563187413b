import type { Verdict } from "../canary/judge";
import { combineProbeOutcomes, type ProbeResult } from "../canary/probes";
import type { Judged } from "./analysis";

/**
 * Probes gate each step (seed 001): traffic moves forward on a judgement only once the
 * release's probes pass against the canary. They run when a step would advance (not at every
 * look: a job probe may take a minute), and the step is planned again with their verdict
 * (`CanarySnapshot.probes`).
 */

/** Does this step move traffic forward because the judgement said advance? Then probes gate it. */
export function gatedByProbes(step: { do: string; judgement?: Judged }): boolean {
  return (step.do === "set-weight" || step.do === "finish") && step.judgement?.verdict === "advance";
}

/**
 * The probes as one verdict: any failure rolls back, else any pending holds, else advance;
 * the reason names each probe that decided, in its words and numbers.
 */
export function probesVerdict(results: ProbeResult[]): { verdict: Verdict; reason: string } {
  const outcome = combineProbeOutcomes(results);
  const verdict: Verdict = outcome === "fail" ? "rollback" : outcome === "pending" ? "hold" : "advance";
  const deciding = results.filter((r) => r.outcome === outcome);
  return { verdict, reason: deciding.map((r) => r.reason).join("; ") || "no probes" };
}
