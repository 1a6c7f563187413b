import type { RolloutCommand, StepState } from "../canary/steps";
import { BEFORE_SWITCH, type RolloutKind, type RolloutPhase, TERMINAL } from "./plan";

/**
 * Which of a human's commands (`slipway rollout pause|resume|promote|abort`) mean something
 * in which phase, as pure functions. `abort` applies until the new release takes all traffic:
 * before it takes any (building, running its release job, starting) the rollout aborts and
 * stops what it started; while analysed it rolls back. `pause`, `resume` and `promote` move a
 * canary or blue/green through its steps, so they apply only while it is analysed.
 */

export interface ControlledRollout {
  phase: RolloutPhase;
  kind: RolloutKind;
  /** A canary or blue/green deploy over a live release (the others never analyse). */
  stepped: boolean;
  /** The stored step state while analysing. */
  state?: Pick<StepState, "paused" | "frozen"> | null;
}

/** Why a command cannot be applied now, and what to do instead. */
export interface CommandRefusal {
  reason: string;
  hint: string;
}

/** The phases in which the command may be stored for the rollout's next tick. */
export function commandPhases(command: RolloutCommand): RolloutPhase[] {
  return command === "abort" ? [...BEFORE_SWITCH, "analyzing"] : ["analyzing"];
}

/** Undefined when the command applies to the rollout as it stands; else why not. */
export function refuseCommand(r: ControlledRollout, command: RolloutCommand): CommandRefusal | undefined {
  const status = "see where it stands with `slipway rollout status`";
  if (r.phase === "aborting")
    return { reason: "it is already aborting: nothing of the new release will stay", hint: status };
  if (TERMINAL.has(r.phase))
    return { reason: `it is over (${r.phase})`, hint: "deploy or roll back to change what is live" };
  if (!commandPhases(command).includes(r.phase))
    return r.phase === "switching" || r.phase === "draining"
      ? {
          reason: `it is ${r.phase}: the new release is taking all traffic now, too late to ${command}`,
          hint: "once it is live, go back with `slipway rollback`",
        }
      : !r.stepped
        ? {
            reason: `a ${r.kind} without canary or blue/green steps has nothing to ${command}`,
            hint: "`slipway rollout abort` stops it until it takes traffic",
          }
        : {
            reason: `it is ${r.phase}: the new release takes no traffic yet, so there is nothing to ${command}`,
            hint: `${command} applies once it is analysing (${status}); abort applies now`,
          };
  if (command === "pause" && r.state?.paused)
    return { reason: "it is already paused", hint: "resume, promote or abort it" };
  if (command === "resume" && !r.state?.paused && !r.state?.frozen)
    return { reason: "it is neither paused nor frozen: there is nothing to resume", hint: status };
  return undefined;
}

/** An abort asked for before the new release took traffic: the rollout aborts (no rollback needed). */
export function abortedBeforeSwitch(
  phase: RolloutPhase,
  command: RolloutCommand | null | undefined,
): boolean {
  return command === "abort" && BEFORE_SWITCH.has(phase);
}
