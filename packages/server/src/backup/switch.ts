import { SlipwayError } from "@slipway/core";
import type { Ctx } from "../context";
import type { ProtectedAddon } from "./protected-addons";

/**
 * Switches the environment's add-on onto a restored copy, on the record: the add-on row moves to
 * the copy (guarded on the instance it pointed at), and a new release of the live build and
 * config rolls out (start, health, switch, drain) so every service reconnects to it. The
 * replaced instance keeps running untouched until `down`; its data stays where it was. The old
 * repository stops streaming; the reconciler protects the copy into a repository of its own.
 */
export async function switchToRestored(
  ctx: Ctx,
  a: ProtectedAddon,
  run: { id: string; instance: { dataDir: string; port: number }; restoredTo: string },
  actor: string,
  kick: (rolloutId: string) => void,
): Promise<{ release: number; rollout: string }> {
  const live = (await ctx.store.releases.getRelease(a.env.liveReleaseId!))!;
  const replaced = { dataDir: a.row.dataDir, port: a.row.port };
  const moved = await ctx.store.transaction(async (tx) => {
    if (!(await tx.environments.moveAddon(a.row.id, a.row.dataDir, run.instance))) return undefined;
    await tx.backupRuns.markSwitched(run.id, replaced, ctx.now());
    const release = await tx.releases.createRelease({
      environmentId: a.env.id,
      buildId: live.buildId,
      config: live.config,
      configHash: live.configHash,
      description: `backup restore: ${a.row.name} switched to the copy restored to ${run.restoredTo} (${run.id})`,
      rollbackOf: null,
      // The same build and schema: the release job already ran for it.
      jobStatus: "none",
    });
    const rollout = await tx.rollouts.create({
      environmentId: a.env.id,
      kind: "rollback",
      fromReleaseId: live.id,
      toReleaseId: release.id,
      source: null,
      config: live.config,
      actor,
    });
    if (!rollout)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `a rollout is in progress in ${a.env.name}; nothing was switched`,
        `the restored copy stays on 127.0.0.1:${run.instance.port}; wait for the rollout, then restore and switch again`,
      );
    return { release: release.number, rollout: rollout.id };
  });
  if (!moved)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `${a.env.name}/${a.row.name} changed instance meanwhile; nothing was switched`,
      "run the restore again",
    );
  await ctx.driver.backups.unprotect(a.repo);
  await ctx.event({
    kind: "backup.switched",
    subject: `${a.row.id}/backups`,
    actor,
    message: `${a.env.name}/${a.row.name} switched to the copy restored to ${run.restoredTo} (release v${moved.release}); the replaced instance keeps its data in ${replaced.dataDir}`,
    data: { run: run.id, ...moved, replaced },
  });
  kick(moved.rollout);
  return moved;
}
