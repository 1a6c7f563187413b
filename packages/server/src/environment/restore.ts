import { longRunning } from "@slipway/core";
import type { EnvironmentRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";

/**
 * After `down`, a crash of every process or a reboot, the live release is still live in the
 * store but nothing of it runs. `up` brings it back as a `restore` rollout: the same release
 * (no new release, no build, no release job), its processes started and healthy before the
 * edge sends them anything, and before anyone is told the stack is up.
 * Returns the rollout, or undefined when nothing is missing (or a rollout is in flight).
 */
export async function restoreIfNeeded(
  ctx: Ctx,
  env: EnvironmentRow,
  actor: string,
): Promise<RolloutRow | undefined> {
  if (!env.liveReleaseId) return undefined;
  if ((await ctx.store.rollouts.active()).some((r) => r.environmentId === env.id)) return undefined;
  const live = (await ctx.store.releases.getRelease(env.liveReleaseId))!;
  const config = live.config;
  const wanted = longRunning(config).reduce((n, [, s]) => n + s.replicas, 0);
  const running = (await ctx.store.processes.forEnvironment(env.id)).filter(
    (p) => p.releaseId === live.id && p.desired === "running" && p.pid !== null,
  ).length;
  if (running >= wanted) return undefined;
  const rollout = await ctx.store.rollouts.create({
    environmentId: env.id,
    kind: "restore",
    fromReleaseId: live.id,
    toReleaseId: live.id,
    source: null,
    config,
    actor,
  });
  if (!rollout) return undefined;
  await ctx.event({
    kind: "restore.requested",
    subject: rollout.id,
    actor,
    message: `starting v${live.number} again in ${env.name} (${running} of ${wanted} processes run)`,
  });
  return rollout;
}
