/**
 * A mixture sequential probability ratio test (mSPRT) on a Bernoulli proportion, the one
 * statistical tool the canary judge is built from.
 *
 * Data: `trials` independent Bernoulli outcomes, `successes` of them positive (a 5xx, a
 * request slower than the budget, an error that came from the canary rather than stable).
 * Null hypothesis H0: p ≤ p0 (direction "greater": we look for evidence that p is larger),
 * or p ≥ p0 (direction "less"). The statistic is the likelihood ratio of the data under
 * alternatives p1 against p0, averaged over a fixed prior on the alternatives (a grid of
 * odds ratios e^δ away from p0, equal weights):
 *
 *   Λ_n = Σ_k w_k · (p1_k / p0)^s · ((1 − p1_k) / (1 − p0))^(n − s)
 *
 * Why it stays valid however often we look: under p = p0, each likelihood ratio is a
 * martingale with mean 1 in n, and so is any mixture of them; under p < p0 (the rest of H0)
 * each factor has mean < 1 for alternatives above p0, so Λ_n is a non-negative
 * supermartingale. Ville's inequality then gives P(sup_n Λ_n ≥ 1/α) ≤ α: the chance that Λ
 * *ever* crosses 1/α, at any look, after any number of looks, with stopping chosen from the
 * data, is at most α. A fixed-sample test re-checked each minute has no such bound (its
 * false-alarm rate grows with every look); this is the difference the simulator measures.
 * 1/Λ_n is an always-valid p-value. The grid spans small effects (found late, with lots of
 * data) to huge ones (found after a handful of outcomes); its cost is log(grid size) nats
 * of evidence, i.e. a few more outcomes before a decision.
 */

export type Direction = "greater" | "less";

export interface SequentialResult {
  /** ln Λ: the evidence against H0, in nats. */
  logLR: number;
  /** ln(1/α): H0 is rejected once logLR reaches it. */
  logThreshold: number;
  rejected: boolean;
  /** Always-valid p-value at this look: min(1, 1/Λ). */
  pValue: number;
}

/** Log odds-ratio steps of the alternatives from p0: from +28% to ×150 in the odds. */
const GRID = [0.25, 0.5, 1, 1.5, 2, 3, 4, 5];
const LOG_WEIGHT = -Math.log(GRID.length);
const EPS = 1e-12;

/** ln Λ for `successes` of `trials` against H0 p ≤ p0 ("greater") or p ≥ p0 ("less"). */
export function mixtureLogLR(successes: number, trials: number, p0: number, direction: Direction): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p0));
  const odds0 = q / (1 - q);
  const sign = direction === "greater" ? 1 : -1;
  // With p1 = o1 / (1 + o1) and o1 = o0·e^(±δ): ln(p1/p0) = ±δ + ln((1 + o0)/(1 + o1)) and
  // ln((1 − p1)/(1 − p0)) = ln((1 + o0)/(1 + o1)), so each term needs one logarithm.
  let max = Number.NEGATIVE_INFINITY;
  const terms: number[] = [];
  for (const delta of GRID) {
    const shift = sign * delta;
    const term =
      LOG_WEIGHT + successes * shift + trials * Math.log((1 + odds0) / (1 + odds0 * Math.exp(shift)));
    terms.push(term);
    if (term > max) max = term;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

export function sequentialTest(
  successes: number,
  trials: number,
  p0: number,
  direction: Direction,
  alpha: number,
): SequentialResult {
  const logLR = trials > 0 ? mixtureLogLR(successes, trials, p0, direction) : 0;
  const logThreshold = Math.log(1 / alpha);
  return { logLR, logThreshold, rejected: logLR >= logThreshold, pValue: Math.min(1, Math.exp(-logLR)) };
}
