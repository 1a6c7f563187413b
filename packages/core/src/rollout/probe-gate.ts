import { combineProbeOutcomes, type ProbeResult } from "../canary/probes";
import type { Judged } from "./analysis";

/**
 * Probes gate each step (seed 001): traffic moves forward on a judgement only once the
 * release's probes pass against the canary. They run when a step would advance (not at every
 * look: a job probe may take a minute), and the step is planned again with their results.
 */

/** Does this step move traffic forward because the judgement said advance? Then probes gate it. */
export function gatedByProbes(step: { do: string; judgement?: Judged }): boolean {
  return (step.do === "set-weight" || step.do === "finish") && step.judgement?.verdict === "advance";
}

/**
 * The group judgement with the probes' say: any failing probe rolls back, any pending one
 * holds an advance (never rolls back by itself); passing probes leave it as it was. No
 * probes run this look: unchanged.
 */
export function withProbes(
  judged: Judged | undefined,
  probes: ProbeResult[] | undefined,
): Judged | undefined {
  if (!judged || !probes?.length) return judged;
  const outcome = combineProbeOutcomes(probes);
  const said = (o: ProbeResult["outcome"]) =>
    probes
      .filter((p) => p.outcome === o)
      .map((p) => p.reason)
      .join("; ");
  if (outcome === "fail")
    return { ...judged, verdict: "rollback", reason: `a probe failed: ${said("fail")}`, probes };
  if (outcome === "pending" && judged.verdict === "advance")
    return { ...judged, verdict: "hold", reason: `probes not passed yet: ${said("pending")}`, probes };
  return { ...judged, probes };
}
