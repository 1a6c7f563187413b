import type { Assessment, CheckResult, JudgePolicy } from "./judge";
import type { SequentialResult } from "./sequential";

/** The words of a judgement: each check and the decision, with every number behind them. */

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)}%`;

/** Λ against the 1/α it must reach, and the always-valid p-value. */
const evidence = (r: SequentialResult) =>
  `Λ=${Math.exp(Math.min(r.logLR, 700)).toPrecision(3)} of ${Math.round(Math.exp(r.logThreshold))}, p=${r.pValue.toPrecision(2)}`;

export function describeCheck(c: CheckResult, a: Assessment, policy: JudgePolicy): string {
  if (c.outcome === "skipped") return `${c.name}: ${c.what}`;
  if (c.arms) {
    const [ce, cn] = c.arms.canary;
    const [se, sn] = c.arms.stable;
    return (
      `${c.name}: ${c.what}: canary ${ce}/${cn} = ${pct(cn ? ce / cn : 0)} vs stable ${se}/${sn} = ${pct(sn ? se / sn : 0)}; ` +
      `${c.successes} of ${c.trials} from the canary where ≤ ${pct(c.limit)} means within +${Math.round(c.arms.margin * 100)}% of stable ` +
      `(${evidence(c.worse!)})${c.outcome === "fail" ? ": canary worse" : ""}`
    );
  }
  const verdict =
    c.outcome === "fail"
      ? `over ${pct(c.limit)} (${evidence(c.worse!)})`
      : c.outcome === "pass"
        ? `under ${pct(c.limit)} (${evidence(c.within!)})`
        : `not yet shown under or over ${pct(c.limit)} (worse ${evidence(c.worse!)}${c.within ? `; within ${evidence(c.within)}` : ""})`;
  let extra = "";
  if (c.name === "burn" && policy.slo)
    extra = `; burn rate ${(a.burnRate ?? 0).toFixed(1)}× the SLO's budget (guardrail ${policy.slo.fastBurn}×)`;
  if (c.name === "latency" && a.canary?.latency?.p95Ms !== undefined)
    extra = `; p95 ${a.canary.latency.p95Ms} ms`;
  return `${c.name}: ${c.what} ${c.successes}/${c.trials} = ${pct(c.observed)}, ${verdict}${extra}`;
}

export function describeBasis(
  a: Assessment,
  describe: (c: CheckResult) => string,
  unit: "requests" | "jobs" = "requests",
): string {
  const b = a.basis;
  switch (b.kind) {
    case "canary-unavailable":
      return `inconclusive: canary metrics unavailable (${b.detail})`;
    case "canary-unusable":
      return `inconclusive: canary metrics unusable: ${b.detail}`;
    case "stable-unavailable":
      return `inconclusive: ${b.detail}; cannot compare with stable`;
    case "no-traffic":
      return `inconclusive: no canary ${unit} yet`;
    case "min-requests":
      return `inconclusive: ${b.requests} of the ${b.needed} canary ${unit} needed`;
    case "worse":
      return `canary worse: ${b.checks.map(describe).join("; ")}`;
    case "pending":
      return `inconclusive: ${b.checks.map(describe).join("; ")}`;
    case "within":
      return `canary within limits over ${a.canary?.requests} ${unit}: ${a.checks.map(describe).join("; ")}`;
  }
}
