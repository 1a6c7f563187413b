import { planStableWorkers } from "@slipway/core";
import type { Ctx } from "../context";
import type { RolloutWorld } from "./snapshot";
import { startReplicas } from "./steps";

/**
 * Makes the stable release's workers match the canary's step: at `weight`% they keep the
 * complement of the canary's share (the highest replicas leave through the drainer, as at a
 * switch), with `undefined` (the rollout aborts) all of them run again. Idempotent: a control
 * plane killed half-way does the rest at its next look.
 */
export async function scaleStableWorkers(
  ctx: Ctx,
  w: RolloutWorld,
  weight: number | undefined,
): Promise<void> {
  const c = w.canary;
  if (!c) return;
  const plan = planStableWorkers(c.stable.config, w.target?.config, weight, c.stableProcesses);
  if (plan.retire.length) {
    await ctx.store.processes.retire(plan.retire);
    for (const id of plan.retire) ctx.driver.runtime.retire(id);
    ctx.drainer.kick();
    await ctx.event({
      kind: "rollout.stable-scaled",
      subject: w.rollout.id,
      message: `v${c.stable.number} gives the canary its share of the queue at ${weight}%: ${plan.retire.join(", ")} leave`,
      data: { weight, retired: plan.retire },
    });
  }
  if (plan.start.length) {
    const rows = (await ctx.store.processes.forEnvironment(w.env.id)).filter(
      (p) => p.releaseId === c.stable.id,
    );
    await startReplicas(ctx, w.env, c.stable, rows, plan.start);
    await ctx.event({
      kind: "rollout.stable-scaled",
      subject: w.rollout.id,
      message: `v${c.stable.number} takes back its share of the queue: ${plan.start.map((s) => `${s.service}/${s.replica}`).join(", ")} start`,
      data: { ...(weight !== undefined ? { weight } : {}), started: plan.start },
    });
  }
}
