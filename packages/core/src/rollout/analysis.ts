import { judgeGroup } from "../canary/group";
import { DEFAULT_JOB_POLICY } from "../canary/jobs";
import {
  type ArmCounts,
  type ArmObservation,
  type Judgement,
  type JudgePolicy,
  judgeCanary,
  type Verdict,
} from "../canary/judge";
import {
  INITIAL_STEP_STATE,
  nextStep,
  type RolloutCommand,
  type RolloutStrategy,
  type StepState,
} from "../canary/steps";
import { countsInWindow } from "../canary/window";
import type { ServerStats } from "../ports/edge-types";
import type { ServiceConfig } from "../release/config";

/**
 * The `analyzing` phase of a canary or blue/green rollout, as pure functions: from the stored
 * step state, what the edge counts now and the jobs workers reported, judge every web service
 * and worker of the release as a group and say the one next step. The store keeps the state (with each step's baseline counters),
 * so a restarted control plane judges the same window and keeps the same weights.
 */

/** What a canary rollout stores of itself, beside its phase. */
export interface CanaryState extends StepState {
  /** Share of new requests the new revision takes now, 0-100. */
  weight: number;
  /**
   * Each judged service's cumulative counters (a worker's: its jobs) when the current step began: the window
   * judged is what was counted since. An arm whose counters were unavailable then is an error.
   */
  baseline: Record<string, { stable: ArmObservation; canary: ArmObservation }>;
  /** Restarts of each process of the new revision when the analysis began: one more is a crash. */
  restarts: Record<string, number>;
}

/** Cumulative counters of the two revisions of one web service, as the edge reports them now. */
export interface ServiceCounters {
  stable: ArmObservation;
  canary: ArmObservation;
}

export interface CanarySnapshot {
  strategy: RolloutStrategy;
  policy: JudgePolicy;
  /** Undefined until the analysis has taken its first step. */
  state: CanaryState | undefined;
  /** A human's command waiting to be applied. */
  command?: RolloutCommand;
  /** By web service. */
  counters: Record<string, ServiceCounters>;
  /** How workers' jobs are judged. @default DEFAULT_JOB_POLICY */
  jobPolicy?: JudgePolicy;
  /** By worker: its jobs per revision (see `jobArm`); a worker that reports none counts zero. */
  jobCounters?: Record<string, ServiceCounters>;
  /** Restarts of each process of the new revision now; a process missing here is gone. */
  restarts: Record<string, number>;
  /** Processes and edge match the stored state (false after a crash between state and action). */
  converged: boolean;
  /**
   * What the release's probes say, when this look ran them (only when the step would advance:
   * see probe-gate.ts and the executor): a failing probe rolls back, a pending one holds.
   */
  probes?: { verdict: Verdict; reason: string };
}

/** A step that moves the canary: store `state` (and the judgement), then make the world match it. */
export type AnalysisStep =
  /** Store the state, start the new revision's worker share and set the edge's weights. */
  | { do: "set-weight"; weight: number; state: CanaryState; judgement?: Judged; reason: string }
  /** Store the state and judgement (when they changed or are worth recording) and look again in `ms`. */
  | { do: "hold"; ms: number; state: CanaryState; judgement?: Judged; reason: string; frozen?: true }
  /** Make processes and edge match the stored state (after a crash between the two). */
  | { do: "converge-canary" }
  /** Store the judgement, send all traffic back to the stable revision and stop the new one. */
  | { do: "roll-back"; state: CanaryState; judgement?: Judged; reason: string }
  /** The new revision took all traffic (canary at 100%, blue/green warm period over): switch. */
  | { do: "finish"; state: CanaryState; judgement?: Judged; reason: string };

/** A group judgement as recorded: the decision, its reason and each service's numbers. */
export interface Judged {
  verdict: Judgement["verdict"];
  reason: string;
  services: Record<string, Judgement>;
  /** Canary requests in the step's window, all services together. */
  requests: number;
}

/** Before the analysis: the weight the first step will set (what the worker share starts at). */
export function initialWeight(strategy: RolloutStrategy): number {
  if (strategy.kind === "canary") return strategy.steps[0]?.weight ?? 100;
  return strategy.kind === "blueGreen" ? 0 : 100;
}

/**
 * Replicas of a service of the new revision at `weight`%: web services run them all (the edge
 * decides their share); a worker runs its share of the queue's consumers, at least one,
 * beside the stable revision's.
 */
export function replicasAt(s: Pick<ServiceConfig, "type" | "replicas">, weight: number): number {
  if (s.type !== "worker" || weight >= 100 || s.replicas === 0) return s.replicas;
  return Math.max(1, Math.ceil((s.replicas * weight) / 100));
}

/**
 * Replicas of a service of the stable revision while the new one runs at `weight`%: web
 * services keep them all; a worker runs the complement of the canary's share, but never
 * fewer than one while the canary is below 100%. The stable revision is the one the queue
 * falls back on: a canary that fails every job, or is rolled back, must never leave the
 * queue with only its consumers or none. `s` is the stable release's service; `canary` the
 * new release's, whose replicas the share is taken of (its own count may differ).
 */
export function stableReplicasAt(
  s: Pick<ServiceConfig, "type" | "replicas">,
  canary: Pick<ServiceConfig, "type" | "replicas"> | undefined,
  weight: number,
): number {
  if (s.type !== "worker" || canary?.type !== "worker" || s.replicas === 0) return s.replicas;
  if (weight >= 100) return 0;
  return Math.max(1, Math.min(s.replicas, s.replicas - replicasAt(canary, weight)));
}

export function planAnalysis(s: CanarySnapshot, now: number): AnalysisStep {
  if (s.state && !s.converged) return { do: "converge-canary" };
  const state = s.state ?? { ...INITIAL_STEP_STATE, weight: 0, baseline: {}, restarts: s.restarts };
  const crash = crashed(state.restarts, s.restarts);
  const judged = crash ? undefined : judge(s, state);
  const decision = nextStep({
    strategy: s.strategy,
    state,
    now,
    requestsInStep: judged?.requests ?? 0,
    ...(judged || crash ? { judgement: crash ? { verdict: "rollback", reason: crash } : judged! } : {}),
    ...(s.command ? { command: s.command } : {}),
  });
  // A new step is judged on what is counted from when it began.
  const entered = decision.state.step !== state.step;
  const next: CanaryState = {
    ...state,
    ...decision.state,
    ...(entered ? { baseline: { ...s.counters, ...s.jobCounters } } : {}),
    // Processes started since (a worker's share grows with the weight) are watched from now on.
    restarts: { ...s.restarts, ...state.restarts },
  };
  const a = decision.action;
  const j = judged ? { judgement: judged } : {};
  switch (a.do) {
    case "set-weight":
      return {
        do: "set-weight",
        weight: a.weight,
        state: { ...next, weight: a.weight },
        ...j,
        reason: a.reason,
      };
    case "hold":
      // Entering a step that holds at once (blue/green's probe at 0%) still sets its weight.
      return entered
        ? { do: "set-weight", weight: next.weight, state: next, ...j, reason: a.reason }
        : { do: "hold", ms: a.recheckMs, state: next, ...j, reason: a.reason };
    case "freeze":
      return { do: "hold", ms: 5_000, state: next, ...j, reason: a.reason, frozen: true };
    case "roll-back":
      return { do: "roll-back", state: next, ...j, reason: a.reason };
    case "retire-old":
    case "done":
      return { do: "finish", state: next, ...j, reason: a.reason };
  }
}

/** Why the new revision counts as crashed (a process restarted or vanished), or undefined. */
function crashed(atStart: Record<string, number>, now: Record<string, number>): string | undefined {
  for (const [id, n] of Object.entries(atStart)) {
    const current = now[id];
    if (current === undefined) return `a process of the new revision is gone: ${id}`;
    if (current > n) return `a process of the new revision crashed: ${id} restarted ${current - n} time(s)`;
  }
  return undefined;
}

/**
 * Every web service's and worker's window since its step began, judged as one group. A service
 * neither revision served a request (or did a job) for in the window (no route the traffic
 * takes, a worker that reports no jobs) has no evidence either way and is left out, so it
 * cannot hold the others forever; with none left, the group holds. Holds count requests only.
 */
function judge(s: CanarySnapshot, state: CanaryState): Judged {
  const services: Record<string, Judgement> = {};
  let requests = 0;
  const judged = [
    ...Object.entries(s.counters).map(([name, now]) => ({ name, now, policy: s.policy, web: true })),
    ...Object.entries(s.jobCounters ?? {}).map(([name, now]) => ({
      name,
      now,
      policy: s.jobPolicy ?? DEFAULT_JOB_POLICY,
      web: false,
    })),
  ];
  for (const { name, now, policy, web } of judged) {
    const base = state.baseline[name];
    const canary = windowOf(now.canary, base?.canary);
    const stable = windowOf(now.stable, base?.stable);
    const idle = (a: ArmObservation) => !("error" in a) && a.requests === 0;
    if (idle(canary) && idle(stable)) continue;
    if (web && !("error" in canary)) requests += canary.requests;
    services[name] = judgeCanary({ canary, stable }, policy);
  }
  const group = judgeGroup(services);
  const p = s.probes;
  // Probes gate the step as one more member of the group: any rollback wins, then any hold.
  if (p && p.verdict !== "advance" && (group.verdict === "advance" || p.verdict === "rollback"))
    return { verdict: p.verdict, reason: `probes: ${p.reason}`, services, requests };
  return { verdict: group.verdict, reason: group.reason, services, requests };
}

function windowOf(now: ArmObservation, atStart: ArmObservation | undefined): ArmObservation {
  if (atStart && "error" in atStart)
    return { error: `no counters when the step began (${atStart.error}); judged again at the next step` };
  // A service first counted after the step began (a new backend) counts from zero.
  return countsInWindow(now, atStart ?? { requests: 0, errors: 0, latency: { samples: 0, overBudget: 0 } });
}

/**
 * One web service's cumulative counters per revision from the edge's per-server stats: the
 * stable arm is the live release's servers, the canary arm the new release's. Server names
 * start with the release ("v3-1", see `serverName`).
 */
export function serviceCounters(
  stats: ServerStats[],
  backend: string,
  stableRelease: number,
  canaryRelease: number,
): ServiceCounters {
  const of = (release: number) =>
    arm(stats.filter((r) => r.backend === backend && releaseOf(r.server) === release));
  return { stable: of(stableRelease), canary: of(canaryRelease) };
}

const releaseOf = (server: string) => Number(/^v(\d+)-/.exec(server)?.[1]);

function arm(rows: ServerStats[]): ArmCounts {
  const sum = (f: (r: ServerStats) => number) => rows.reduce((n, r) => n + f(r), 0);
  const measured = rows.filter((r) => r.latency);
  const p95s = measured.map((r) => r.latency!.p95Ms);
  return {
    requests: sum((r) => r.requests),
    errors: sum((r) => r.responses["5xx"]),
    latency: {
      samples: sum((r) => r.latency?.samples ?? 0),
      overBudget: sum((r) => r.latency?.overBudget ?? 0),
      // The slowest server's p95, for the record (percentiles do not add up).
      ...(p95s.length ? { p95Ms: Math.max(...p95s) } : {}),
    },
  };
}
