import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ArmObservation,
  DEFAULT_JUDGE_POLICY,
  type Judgement,
  type JudgePolicy,
  judgeCanary,
  SlipwayError,
  type Verdict,
} from "@slipway/core";
import { printJson } from "../output";

/**
 * `slipway judge`: Slipway's canary judgement (core/canary/judge.ts) outside the control
 * plane, e.g. in an Argo Rollouts analysis Job. Exit codes: 0 advance, 1 roll back,
 * 3 inconclusive (hold); 2 is bad input, as for every command.
 */
export const JUDGE_EXIT: Record<Verdict, number> = { advance: 0, rollback: 1, hold: 3 };

export interface JudgeOptions {
  /** A JSON file (or "-" for stdin) of `{ canary: counts, stable: counts }`. */
  counts?: string;
  prometheus?: string;
  service?: string;
  canarySelector?: string;
  stableSelector?: string;
  /** Counter of HTTP responses, with a status label. @default http_requests_total */
  requestsMetric: string;
  /** The counter's status-code label. @default code */
  statusLabel: string;
  /** Histogram (base name) of request durations in seconds, with a bucket at the latency budget. */
  latencyMetric?: string;
  /** Seconds of counts the first look covers; it grows as --until-decided keeps looking. @default 300 */
  window: number;
  maxErrorRate?: number;
  margin?: number;
  minRequests?: number;
  latencyBudgetMs?: number;
  untilDecided?: boolean;
  /** Seconds between looks with --until-decided. @default 15 */
  interval: number;
  json?: boolean;
}

export async function judge(o: JudgeOptions): Promise<void> {
  const judgement = await decide(o);
  if (o.json) printJson(judgement);
  else process.stdout.write(`${judgement.verdict}: ${judgement.reason}\n`);
  process.exit(JUDGE_EXIT[judgement.verdict]);
}

/** Looks once, or with --until-decided until the verdict is advance or roll back. */
export async function decide(o: JudgeOptions): Promise<Judgement> {
  const policy = policyOf(o);
  const started = Date.now();
  for (;;) {
    const windowSeconds = o.window + Math.round((Date.now() - started) / 1000);
    const judgement = judgeCanary(await observe(o, policy, windowSeconds), policy);
    if (!o.untilDecided || judgement.verdict !== "hold") return judgement;
    if (!o.json) process.stderr.write(`hold: ${judgement.reason}\n`);
    await sleep(o.interval * 1000);
  }
}

/** The defaults of core's judge, except latency: judged only when a budget is given (and measured). */
function policyOf(o: JudgeOptions): JudgePolicy {
  const { latency: _unless, ...d } = DEFAULT_JUDGE_POLICY;
  return {
    ...d,
    maxErrorRate: o.maxErrorRate ?? d.maxErrorRate,
    marginVsStable: o.margin ?? d.marginVsStable,
    minRequests: o.minRequests ?? d.minRequests,
    ...(o.latencyBudgetMs !== undefined
      ? { latency: { budgetMs: o.latencyBudgetMs, quantile: DEFAULT_JUDGE_POLICY.latency?.quantile ?? 0.95 } }
      : {}),
  };
}

async function observe(
  o: JudgeOptions,
  policy: JudgePolicy,
  windowSeconds: number,
): Promise<{ canary: ArmObservation; stable: ArmObservation }> {
  if (o.counts !== undefined) return readCounts(o.counts);
  if (!o.prometheus || !o.canarySelector || !o.stableSelector)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      "slipway judge needs counts: --counts FILE, or --prometheus URL with --canary-selector and --stable-selector",
      "e.g. --prometheus http://prometheus:9090 --canary-selector 'pod_template_hash=\"abc\"' --stable-selector 'pod_template_hash=\"def\"'",
    );
  const arm = (selector: string) => prometheusCounts(o, policy, selector, windowSeconds);
  const [canary, stable] = await Promise.all([arm(o.canarySelector), arm(o.stableSelector)]);
  return { canary, stable };
}

function readCounts(file: string): { canary: ArmObservation; stable: ArmObservation } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8"));
  } catch (e) {
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--counts ${file}: not readable JSON (${(e as Error).message})`,
      'give {"canary": {"requests": 1000, "errors": 3}, "stable": {"requests": 19000, "errors": 20}}',
    );
  }
  const p = parsed as { canary?: ArmObservation; stable?: ArmObservation };
  if (!p || typeof p !== "object" || !p.canary || !p.stable)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--counts ${file}: needs a "canary" and a "stable" object`,
      'give {"canary": {"requests": 1000, "errors": 3}, "stable": {"requests": 19000, "errors": 20}}',
    );
  // The judge itself refuses counts that are not counts (negative, errors > requests): inconclusive.
  return { canary: p.canary, stable: p.stable };
}

/**
 * One revision's counts over the window, from Prometheus' HTTP API. A query that fails is
 * data (the judge holds on it), never a crash and never a pass.
 */
async function prometheusCounts(
  o: JudgeOptions,
  policy: JudgePolicy,
  selector: string,
  windowSeconds: number,
): Promise<ArmObservation> {
  const sel = [selector, ...(o.service ? [`service="${o.service}"`] : [])].join(",");
  const increase = (metric: string, extra = "") =>
    `sum(increase(${metric}{${sel}${extra}}[${windowSeconds}s]))`;
  try {
    const requests = await query(o.prometheus!, increase(o.requestsMetric));
    const errors = await query(o.prometheus!, increase(o.requestsMetric, `,${o.statusLabel}=~"5.."`));
    const counts = { requests: Math.round(requests), errors: Math.round(errors) };
    if (!o.latencyMetric || !policy.latency) return counts;
    const le = String(policy.latency.budgetMs / 1000);
    const samples = Math.round(await query(o.prometheus!, increase(`${o.latencyMetric}_count`)));
    const within = Math.round(
      await query(o.prometheus!, increase(`${o.latencyMetric}_bucket`, `,le="${le}"`)),
    );
    return { ...counts, latency: { samples, overBudget: Math.max(0, samples - within) } };
  } catch (e) {
    return { error: `Prometheus at ${o.prometheus}: ${(e as Error).message}` };
  }
}

/** An instant query's single value; no series (no traffic yet) is 0. */
async function query(base: string, promql: string): Promise<number> {
  const url = `${base.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json().catch(() => undefined)) as
    | { status?: string; error?: string; data?: { result?: { value?: [number, string] }[] } }
    | undefined;
  if (!res.ok || body?.status !== "success")
    throw new Error(`${promql} answered ${res.status}${body?.error ? `: ${body.error}` : ""}`);
  const value = Number(body.data?.result?.[0]?.value?.[1] ?? 0);
  if (!Number.isFinite(value)) throw new Error(`${promql} gave ${body.data?.result?.[0]?.value?.[1]}`);
  return value;
}
