/**
 * The rollout state machine, as a pure function: given a snapshot of one rollout and what
 * the drivers observe, say the one next step. The executor in the server performs it,
 * records the outcome and asks again; a control plane killed between two steps resumes
 * from the phase in the store, because every step is safe to repeat.
 *
 *   pending → building → releasing → starting → switching → draining → succeeded
 *                  ↘          ↘           ↘
 *                   failed (the live release keeps serving; new processes are stopped)
 */

export type RolloutPhase =
  | "pending"
  | "building"
  | "releasing"
  | "starting"
  | "switching"
  | "draining"
  | "succeeded"
  | "failed";

export const TERMINAL: ReadonlySet<RolloutPhase> = new Set(["succeeded", "failed"]);

export interface RolloutSnapshot {
  phase: RolloutPhase;
  kind: "deploy" | "rollback";
  build: "missing" | "building" | "ready" | "failed";
  /** "none" when the target release has no release job (or is a rollback). */
  job: "none" | "pending" | "running" | "succeeded" | "failed";
  /**
   * Replicas the target release should run, how many are started and healthy now, and
   * which started ones are still unhealthy past their service's health timeout.
   */
  target: { wanted: number; started: number; healthy: number; overdue: string[] };
  /** Whether the edge already sends the target's traffic (switch done). */
  switched: boolean;
  /** Requests still in flight on the previous release's servers. */
  oldInFlight: number;
  /** Previous-release processes still running. */
  oldRunning: number;
  /** Milliseconds since the rollout entered its current phase. */
  phaseAgeMs: number;
  drainTimeoutMs: number;
}

export type FailureCode = "SLW_BUILD_FAILED" | "SLW_RELEASE_JOB_FAILED" | "SLW_UNHEALTHY";

export type RolloutStep =
  | { do: "build" }
  | { do: "run-release-job" }
  | { do: "start-target" }
  | { do: "switch-traffic" }
  | { do: "stop-old" }
  | { do: "abandon"; code: FailureCode; reason: string }
  | { do: "move"; to: RolloutPhase }
  | { do: "fail"; code: FailureCode; reason: string }
  | { do: "wait"; ms: number }
  | { do: "done" };

const POLL_MS = 100;

export function planRollout(s: RolloutSnapshot): RolloutStep {
  switch (s.phase) {
    case "pending":
      return { do: "move", to: "building" };
    case "building":
      if (s.build === "failed") return { do: "fail", code: "SLW_BUILD_FAILED", reason: "the build failed" };
      if (s.build === "ready") return { do: "move", to: s.job === "none" ? "starting" : "releasing" };
      return s.build === "missing" ? { do: "build" } : { do: "wait", ms: POLL_MS };
    case "releasing":
      if (s.job === "succeeded" || s.job === "none") return { do: "move", to: "starting" };
      if (s.job === "failed")
        return { do: "fail", code: "SLW_RELEASE_JOB_FAILED", reason: "the release job exited non-zero" };
      return s.job === "pending" ? { do: "run-release-job" } : { do: "wait", ms: POLL_MS };
    case "starting":
      if (s.target.started >= s.target.wanted && s.target.healthy >= s.target.wanted)
        return { do: "move", to: "switching" };
      // Past a health timeout: stop what was started, then fail. The live release never noticed.
      if (s.target.overdue.length)
        return {
          do: "abandon",
          code: "SLW_UNHEALTHY",
          reason: `${s.target.overdue.join(", ")} did not become healthy within its health timeout`,
        };
      return s.target.started < s.target.wanted ? { do: "start-target" } : { do: "wait", ms: POLL_MS };
    case "switching":
      return s.switched ? { do: "move", to: "draining" } : { do: "switch-traffic" };
    case "draining":
      // In-flight requests on the old release finish first, up to the drain timeout.
      if (s.oldRunning === 0) return { do: "move", to: "succeeded" };
      if (s.oldInFlight > 0 && s.phaseAgeMs < s.drainTimeoutMs) return { do: "wait", ms: POLL_MS };
      return { do: "stop-old" };
    case "succeeded":
    case "failed":
      return { do: "done" };
  }
}
