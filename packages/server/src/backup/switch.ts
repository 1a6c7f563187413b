import { SlipwayError } from "@slipway/core";
import type { AddonInstances, AddonRow, EnvironmentRow, Queries, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { localRepo, type ProtectedAddon } from "./protected-addons";

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
  // The copy is marked switched to as this release goes live (recordSwitches).
  const instances: AddonInstances = {
    ...currentInstances(await ctx.store.environments.addons(a.env.id)),
    ...live.addonInstances,
    [a.row.name]: { dataDir: run.instance.dataDir, port: run.instance.port },
  };
  const moved = await ctx.store.transaction(async (tx) => {
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

/** The add-ons a release going live moves onto other instances than the release it replaces (`was`). */
export function movedAddons(
  rows: AddonRow[],
  was: AddonInstances | null | undefined,
  live: ReleaseRow,
): { row: AddonRow; from: { dataDir: string; port: number }; to: { dataDir: string; port: number } }[] {
  // A release made before instances were recorded: the rows as they stood.
  const before = was ?? currentInstances(rows);
  return rows.flatMap((row) => {
    const from = before[row.name];
    const to = live.addonInstances?.[row.name];
    return from && to && from.dataDir !== to.dataDir ? [{ row, from, to }] : [];
  });
}

/**
 * In the transaction that makes a release live: a restored copy it moves onto is marked switched
 * to now (its own base backups count from then: see dueBackupWork), naming what it replaced.
 */
export async function recordSwitches(tx: Queries, moved: ReturnType<typeof movedAddons>, at: number) {
  for (const m of moved)
    await tx.backupRuns.markSwitched(m.row.environmentId, m.row.name, m.to.dataDir, m.from, at);
}

/**
 * After: the replaced postgres instances stop streaming into their repositories (their backups
 * stay); the backup reconciler protects the instances now in use on its next tick.
 */
export async function stopProtectingReplaced(
  ctx: Ctx,
  env: EnvironmentRow,
  moved: ReturnType<typeof movedAddons>,
): Promise<void> {
  for (const { row, from } of moved)
    if (row.kind === "postgres") await ctx.driver.backups.unprotect(localRepo(ctx, env, { ...row, ...from }));
}

function currentInstances(rows: AddonRow[]): AddonInstances {
  return Object.fromEntries(rows.map((r) => [r.name, { dataDir: r.dataDir, port: r.port }]));
}
