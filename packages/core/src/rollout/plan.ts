import type { JobOutcome } from "../ports/runtime";
import { type AnalysisStep, type CanarySnapshot, planAnalysis } from "./analysis";
import { type StableWorkerPlan, stableWorkersInStep } from "./stable-workers";

/**
 * The rollout state machine, as a pure function: given a snapshot of one rollout and what
 * the drivers observe, say the one next step. The executor in the server performs it,
 * records the outcome and asks again; a control plane killed between two steps resumes
 * from the phase in the store, because every step is safe to repeat.
 *
 *   pending → building → releasing → starting → (analyzing →) switching → succeeded
 *                  ↘          ↘           ↘            ↘
 *                          aborting → failed
 *
 * A canary or blue/green deploy (see `analysis.ts`) enters `analyzing` once its target is
 * healthy: the target takes a share of traffic beside the live release, step by step, judged
 * each tick; a rollback judgement aborts (the live release never stopped serving), the last
 * step switches as a direct deploy does.
 *
 * A rollout is over once the target takes all new traffic: the previous release drains in
 * the background (see `planDrain`) and never holds up the next deploy or a rollback.
 * `aborting` stops every process of the target before the rollout is marked failed, so a
 * failed rollout leaves nothing of itself running; the live release never noticed.
 * A `restore` rollout (`slipway up` after `down` or a reboot) starts the live release's
 * processes again: same release, no build, no release job; if it fails, what of the live
 * release does run is left running.
 */

export type RolloutPhase =
  | "pending"
  | "building"
  | "releasing"
  | "starting"
  /** A canary or blue/green target shares traffic with the live release, judged step by step. */
  | "analyzing"
  | "switching"
  /** Written by earlier versions, which drained inside the rollout; finishes at once. */
  | "draining"
  | "aborting"
  | "succeeded"
  | "failed";

export type RolloutKind = "deploy" | "rollback" | "restore" | "restart";

export const TERMINAL: ReadonlySet<RolloutPhase> = new Set(["succeeded", "failed"]);

/** Phases in which the target has taken no traffic yet: a failure here aborts the rollout. */
export const BEFORE_SWITCH: ReadonlySet<RolloutPhase> = new Set([
  "pending",
  "building",
  "releasing",
  "starting",
]);

export interface RolloutSnapshot {
  phase: RolloutPhase;
  kind: RolloutKind;
  build: "missing" | "building" | "ready" | "failed";
  /** "none" when the target release has no release job (or is a rollback). */
  job: "none" | "pending" | "running" | "succeeded" | "failed";
  /**
   * What the target says of the release job while the store says it is `running` (observed
   * read-only; the `record-job` step writes the outcome down).
   */
  jobOutcome?: JobOutcome;
  /**
   * Replicas the target release should run, how many are started and healthy now, which
   * started ones are still unhealthy past their service's health timeout (with why), and
   * how many of its processes still run or are meant to (what `aborting` must stop).
   */
  target: { wanted: number; started: number; healthy: number; overdue: string[]; running: number };
  /** A deploy over a live release whose strategy is canary or blue/green. */
  canary?: CanarySnapshot;
  /**
   * While a canary rollout aborts: what brings the stable release's workers back to all their
   * replicas (the canary took a share of them, see `stableReplicasAt`).
   */
  stableWorkers?: StableWorkerPlan;
}

export type FailureCode = "SLW_BUILD_FAILED" | "SLW_RELEASE_JOB_FAILED" | "SLW_UNHEALTHY";

export type RolloutStep =
  | { do: "build" }
  | { do: "run-release-job" }
  /** Write the release job's outcome down: its exit code, or null when it vanished without one. */
  | { do: "record-job"; exit: number | null }
  /** Stop the release job of a rollout that is aborting. */
  | { do: "stop-job" }
  | { do: "start-target" }
  /** Make the target live, put the old release's processes to draining, converge the edge, succeed. */
  | { do: "switch-traffic" }
  /** Stop every process of the target (it never took traffic). */
  | { do: "stop-target" }
  /** Start the stable release's worker replicas the canary's share had stopped. */
  | { do: "restore-stable" }
  /** Record the failure and move to `aborting`. */
  | { do: "abort"; code: FailureCode; reason: string }
  | { do: "move"; to: RolloutPhase }
  | { do: "wait"; ms: number }
  | AnalysisStep
  | { do: "done" };

const POLL_MS = 100;

export function planRollout(s: RolloutSnapshot, now = 0): RolloutStep {
  switch (s.phase) {
    case "pending":
      return { do: "move", to: "building" };
    case "building":
      if (s.build === "failed") return { do: "abort", code: "SLW_BUILD_FAILED", reason: "the build failed" };
      if (s.build === "ready") return { do: "move", to: s.job === "none" ? "starting" : "releasing" };
      return s.build === "missing" ? { do: "build" } : { do: "wait", ms: POLL_MS };
    case "releasing":
      if (s.job === "succeeded" || s.job === "none") return { do: "move", to: "starting" };
      if (s.job === "failed")
        return { do: "abort", code: "SLW_RELEASE_JOB_FAILED", reason: "the release job exited non-zero" };
      return s.job === "pending" ? { do: "run-release-job" } : whileJobRuns(s.jobOutcome, false);
    case "starting":
      if (s.target.started >= s.target.wanted && s.target.healthy >= s.target.wanted)
        return { do: "move", to: s.canary ? "analyzing" : "switching" };
      if (s.target.overdue.length)
        return {
          do: "abort",
          code: "SLW_UNHEALTHY",
          reason: `${s.target.overdue.join("; ")} did not become healthy within its health timeout`,
        };
      return s.target.started < s.target.wanted ? { do: "start-target" } : { do: "wait", ms: POLL_MS };
    case "analyzing":
      return analyzing(s, now);
    case "switching":
      return { do: "switch-traffic" };
    case "draining":
      return { do: "move", to: "succeeded" };
    case "aborting":
      // A job that runs on would go on changing the database of a release that never goes live.
      if (s.job === "running")
        return s.jobOutcome?.state === "running" ? { do: "stop-job" } : whileJobRuns(s.jobOutcome, true);
      // A restore's target is the live release itself: whatever of it runs keeps serving.
      if (s.kind !== "restore" && s.target.running > 0) return { do: "stop-target" };
      // The queue's consumers back to full before the rollout is over (a draining one first ends).
      if (s.stableWorkers && !stableWorkersInStep(s.stableWorkers))
        return s.stableWorkers.start.length ? { do: "restore-stable" } : { do: "wait", ms: POLL_MS };
      return { do: "move", to: "failed" };
    case "succeeded":
    case "failed":
      return { do: "done" };
  }
}

/** The release job is running, as far as the store knows: record how it ended, once it has. */
function whileJobRuns(outcome: JobOutcome | undefined, aborting: boolean): RolloutStep {
  switch (outcome?.state) {
    case "exited":
      return { do: "record-job", exit: outcome.code };
    // We died between recording it as running and starting it: nothing of it ever ran.
    case "not-started":
      return aborting ? { do: "record-job", exit: null } : { do: "run-release-job" };
    // Gone without a word: it may have run, so it is never run again; the rollout fails.
    case "unknown":
      return { do: "record-job", exit: null };
    default:
      return { do: "wait", ms: POLL_MS };
  }
}

/** One look at a canary: judge and step; the switch waits until the whole target runs healthy. */
function analyzing(s: RolloutSnapshot, now: number): RolloutStep {
  if (!s.canary) return { do: "move", to: "switching" };
  const step = planAnalysis(s.canary, now);
  if (step.do === "finish" && (s.target.started < s.target.wanted || s.target.healthy < s.target.wanted))
    return s.target.started < s.target.wanted ? { do: "converge-canary" } : { do: "wait", ms: POLL_MS };
  return step;
}
