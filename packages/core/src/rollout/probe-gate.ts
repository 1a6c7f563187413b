import type { Verdict } from "../canary/judge";
import { combineProbeOutcomes, type ProbeResult } from "../canary/probes";
import type { Judged } from "./analysis";

/**
 * Probes gate each step (seed 001): traffic moves forward on a judgement only once the
 * release's probes pass against the canary. They run when a step would advance, and when the
 * judge cannot decide for want of evidence (not at every look: a job probe may take a minute);
 * the step is planned again with their verdict (`CanarySnapshot.probes`).
 */

/**
 * Do the probes run before this step? When it moves traffic forward because the judgement
 * said advance; and when it holds on an inconclusive judgement, because the probes' calls go
 * through the edge to the canary and are its synthetic traffic when organic traffic is too low
 * to decide (a blue/green preview gets no other).
 */
export function gatedByProbes(step: { do: string; judgement?: Judged; frozen?: true }): boolean {
  const verdict = step.judgement?.verdict;
  if (step.do === "set-weight" || step.do === "finish") return verdict === "advance";
  return step.do === "hold" && verdict === "hold" && !step.frozen;
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
