import type { AnalysisStep, CanaryState, Judged } from "@slipway/core";
import type { Queries } from "@slipway/store";
import type { Ctx } from "../context";
import { syncEdge } from "../environment/edge";
import { changeWithEvents } from "./record";
import type { RolloutWorld } from "./snapshot";
import { scaleStableWorkers } from "./stable-workers";
import { startTarget } from "./steps";

/**
 * Performs one step of a canary's analysis. State first, then action: the step state (with
 * the judgement that led to it) is stored in one transaction before processes or weights
 * change, so a control plane killed in between finds the stored step and converges the
 * world to it (`converge-canary`) instead of deciding again.
 */
export async function performAnalysis(ctx: Ctx, w: RolloutWorld, step: AnalysisStep): Promise<void> {
  switch (step.do) {
    case "converge-canary":
      return converge(ctx, w, w.rollout.stepState?.weight ?? 0);
    case "set-weight": {
      const saved = await save(
        ctx,
        w,
        step.state,
        step.judgement,
        "set-weight",
        step.reason,
        ...humanEvents(w, step.state, step.reason),
        {
          kind: "rollout.step",
          message: `v${w.target!.number} takes ${step.weight}% of new requests: ${step.reason}`,
          data: { weight: step.weight, step: step.state.step },
        },
      );
      ctx.fault("canary:step-saved");
      if (saved) await converge(ctx, w, step.weight);
      return;
    }
    case "hold":
      await save(
        ctx,
        w,
        step.state,
        step.judgement,
        "hold",
        step.reason,
        ...humanEvents(w, step.state, step.reason),
      );
      return;
    case "roll-back":
      return rollBack(ctx, w, step);
    case "finish":
      await changeWithEvents(
        ctx,
        async (tx) =>
          (await saveStep(ctx, tx, w, step.state, step.judgement, "finish", step.reason)) &&
          tx.rollouts.move(w.rollout.id, "analyzing", "switching", { at: ctx.now() }),
        {
          kind: "rollout.phase",
          subject: w.rollout.id,
          message: `${w.rollout.kind} v${w.target!.number}: switching: ${step.reason}`,
          data: { phase: "switching", release: w.target!.number },
        },
      );
      return;
  }
}

/** The worker shares at `weight` run (new and stable), and the edge's weights are the stored step's. */
async function converge(ctx: Ctx, w: RolloutWorld, weight: number): Promise<void> {
  await startTarget(ctx, w, weight);
  await scaleStableWorkers(ctx, w, weight);
  await syncEdge(ctx, w.env);
}

/**
 * A failed judgement (or an abort): the state, the judgement and the failure are stored and
 * the rollout moves to `aborting`, all in one transaction; then the edge sends every request
 * to the stable revision at once. `aborting` stops the new revision's processes, as for any
 * failed rollout.
 */
async function rollBack(ctx: Ctx, w: RolloutWorld, step: Extract<AnalysisStep, { do: "roll-back" }>) {
  const error = {
    code: "SLW_CANARY_ROLLED_BACK",
    message: `v${w.target!.number} rolled back: ${step.reason}`,
    hint: "read every judgement with `slipway rollout status`; fix the release and deploy again",
  };
  const moved = await changeWithEvents(
    ctx,
    async (tx) =>
      (await saveStep(ctx, tx, w, step.state, step.judgement, "roll-back", step.reason)) &&
      tx.rollouts.move(w.rollout.id, "analyzing", "aborting", { error, at: ctx.now() }),
    {
      kind: "rollout.rolled-back",
      subject: w.rollout.id,
      message: `${error.message}; all traffic back to v${w.canary?.stable.number}`,
      data: { code: error.code, weight: w.rollout.stepState?.weight ?? 0 },
    },
  );
  ctx.fault("canary:rollback-saved");
  if (moved) await syncEdge(ctx, w.env);
}

type Event = { kind: string; message: string; data?: Record<string, unknown> };

/** Pausing, resuming and freezing are worth an event; a plain hold is only a judgement. */
function humanEvents(w: RolloutWorld, state: CanaryState, reason: string): Event[] {
  const before = w.rollout.stepState;
  const events: Event[] = [];
  if (state.frozen && !before?.frozen)
    events.push({ kind: "rollout.frozen", message: `frozen at ${state.weight}%: ${reason}` });
  if (state.paused !== (before?.paused ?? false))
    events.push({
      kind: state.paused ? "rollout.paused" : "rollout.resumed",
      message: `${state.paused ? "paused" : "resumed"} at ${before?.weight ?? state.weight}%`,
    });
  return events;
}

async function save(
  ctx: Ctx,
  w: RolloutWorld,
  state: CanaryState,
  judgement: Judged | undefined,
  action: string,
  reason: string,
  ...events: Event[]
): Promise<boolean> {
  return changeWithEvents(
    ctx,
    (tx) => saveStep(ctx, tx, w, state, judgement, action, reason),
    ...events.map((e) => ({ subject: w.rollout.id, data: {}, ...e })),
  );
}

/** The state (clearing the command it applied) and the judgement with what was done about it. */
async function saveStep(
  ctx: Ctx,
  tx: Queries,
  w: RolloutWorld,
  state: CanaryState,
  judgement: Judged | undefined,
  action: string,
  reason: string,
): Promise<boolean> {
  if (!(await tx.rollouts.saveStep(w.rollout.id, state, w.rollout.command))) return false;
  await tx.rollouts.recordJudgement({
    rolloutId: w.rollout.id,
    at: ctx.now(),
    step: state.step,
    weight: state.weight,
    verdict: judgement?.verdict ?? "none",
    action,
    reason,
    judgement: judgement ?? null,
  });
  return true;
}
