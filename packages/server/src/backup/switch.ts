import { SlipwayError } from "@slipway/core";
import type { AddonInstances, AddonRow, EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { backupRepo, type ProtectedAddon } from "./protected-addons";

/**
 * Switches the environment's add-on onto a restored copy, on the record: a new release of the
 * live build and config that uses the copy rolls out (start, health, switch, drain), so every
 * service reconnects to it, and the add-on follows it onto the copy as it goes live. The
 * replaced instance keeps running untouched until `down`, its data where it was: rolling back
 * to the release before the switch puts the services back on it.
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
  const instances: AddonInstances = {
    ...currentInstances(await ctx.store.environments.addons(a.env.id)),
    ...live.addonInstances,
    [a.row.name]: { dataDir: run.instance.dataDir, port: run.instance.port },
  };
  const moved = await ctx.store.transaction(async (tx) => {
    if (!(await tx.backupRuns.markSwitched(run.id, replaced, ctx.now())))
      throw new SlipwayError("SLW_CONFLICT", `restore ${run.id} was already switched to`, "restore again");
    const release = await tx.releases.createRelease({
      environmentId: a.env.id,
      buildId: live.buildId,
      config: live.config,
      configHash: live.configHash,
      description: `backup restore: ${a.row.name} switched to the copy restored to ${run.restoredTo} (${run.id})`,
      rollbackOf: null,
      // The same build and schema: the release job already ran for it.
      jobStatus: "none",
      addonInstances: instances,
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
  await ctx.event({
    kind: "backup.switched",
    subject: `${a.row.id}/backups`,
    actor,
    message: `${a.env.name}/${a.row.name} switches to the copy restored to ${run.restoredTo} (release v${moved.release}); the replaced instance keeps its data in ${replaced.dataDir}, and rolling back to v${live.number} returns to it`,
    data: { run: run.id, ...moved, replaced },
  });
  kick(moved.rollout);
  return moved;
}

/**
 * After a release went live on other add-on instances than the one it replaced (`was`; the
 * rows before the switch for a release made before instances were recorded): the replaced
 * postgres instances stop streaming into their repositories (their backups stay); the backup
 * reconciler protects the instances now in use on its next tick.
 */
export async function stopProtectingReplaced(
  ctx: Ctx,
  env: EnvironmentRow,
  rows: AddonRow[],
  was: AddonInstances | null | undefined,
  live: ReleaseRow,
): Promise<void> {
  const before = was ?? currentInstances(rows);
  for (const row of rows) {
    const then = before[row.name];
    const now = live.addonInstances?.[row.name];
    if (row.kind !== "postgres" || !then || !now || now.dataDir === then.dataDir) continue;
    await ctx.driver.backups.unprotect(backupRepo(ctx, env, { ...row, dataDir: then.dataDir }));
  }
}

function currentInstances(rows: AddonRow[]): AddonInstances {
  return Object.fromEntries(rows.map((r) => [r.name, { dataDir: r.dataDir, port: r.port }]));
}
