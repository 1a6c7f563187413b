import { DEFAULT_JOB_POLICY } from "./jobs";
import { DEFAULT_JUDGE_POLICY, type JudgePolicy } from "./judge";
import type { RolloutStrategy } from "./steps";

/** An environment's `strategy` as the spec writes it (minutes, an `analysis` block). */
export type StrategyInput =
  | { kind: "direct" }
  | {
      kind: "canary";
      steps: { weight: number; holdMinutes: number; holdRequests: number }[];
      onFailure: "rollback" | "freeze";
      analysis: AnalysisInput;
    }
  | { kind: "blueGreen"; keepWarmMinutes: number; onFailure: "rollback" | "freeze"; analysis: AnalysisInput };

export interface AnalysisInput {
  maxErrorRate: number;
  latency: { quantile: number; budgetMs: number };
  marginVsStable: number;
  minRequests: number;
  sloTarget: number;
  /** Workers' job outcomes (absent in specs written before workers were judged: the defaults). */
  jobs?: { maxFailureRate: number; duration?: { quantile: number; budgetMs: number }; minJobs: number };
}

const MINUTE = 60_000;

/** The step machine's strategy and the judge's policy an environment's spec asks for. */
export function strategyFromSpec(s: StrategyInput): {
  strategy: RolloutStrategy;
  policy: JudgePolicy;
  jobPolicy: JudgePolicy;
} {
  if (s.kind === "direct")
    return { strategy: { kind: "direct" }, policy: DEFAULT_JUDGE_POLICY, jobPolicy: DEFAULT_JOB_POLICY };
  const a = s.analysis;
  const policy: JudgePolicy = {
    ...DEFAULT_JUDGE_POLICY,
    maxErrorRate: a.maxErrorRate,
    marginVsStable: a.marginVsStable,
    latency: { budgetMs: a.latency.budgetMs, quantile: a.latency.quantile },
    slo: { target: a.sloTarget, fastBurn: DEFAULT_JUDGE_POLICY.slo?.fastBurn ?? 14.4 },
    minRequests: a.minRequests,
  };
  const jobPolicy = jobPolicyFromSpec(a.jobs);
  if (s.kind === "blueGreen")
    return {
      strategy: { kind: "blueGreen", keepWarmMs: s.keepWarmMinutes * MINUTE, onFailure: s.onFailure },
      policy,
      jobPolicy,
    };
  return {
    strategy: {
      kind: "canary",
      onFailure: s.onFailure,
      steps: s.steps.map((step) => ({
        weight: step.weight,
        holdMs: step.holdMinutes * MINUTE,
        holdRequests: step.holdRequests,
      })),
    },
    policy,
    jobPolicy,
  };
}

function jobPolicyFromSpec(j: AnalysisInput["jobs"]): JudgePolicy {
  if (!j) return DEFAULT_JOB_POLICY;
  return {
    ...DEFAULT_JOB_POLICY,
    maxErrorRate: j.maxFailureRate,
    minRequests: j.minJobs,
    ...(j.duration ? { latency: { budgetMs: j.duration.budgetMs, quantile: j.duration.quantile } } : {}),
  };
}
