import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { dropRefusal, releasesUsing, SlipwayError } from "@slipway/core";
import type { BackupRunRow, EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { recordOf } from "../environment/addons";
import { existingEnvironment, protectedAddons } from "./protected-addons";

/** Stops the WAL receivers of an environment (on `down`: they stream from add-ons being stopped). */
export async function stopProtection(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  for (const a of await protectedAddons(ctx, env, { localOnly: true }))
    await ctx.driver.backups.unprotect(a.repo);
}

/**
 * Stops the instances `slipway backup restore` made in an environment (on `down`, like its
 * add-ons): their data stays where the restore reported it, for whoever wants to look again.
 */
export async function stopRestoredCopies(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const rows = await ctx.store.environments.addons(env.id);
  for (const run of await ctx.store.backupRuns.list(env.id, undefined, 1000)) {
    const row = rows.find((r) => r.name === run.addon);
    if (run.kind !== "restore" || !run.instance || !row) continue;
    // A copy switched to is the add-on now (stopped with the others); the one it replaced is not.
    if (run.instance.dataDir !== row.dataDir && !run.droppedAt)
      await ctx.driver.addons.stop({ ...recordOf(ctx, env, row), ...run.instance });
    if (run.replaced) await ctx.driver.addons.stop({ ...recordOf(ctx, env, row), ...run.replaced });
  }
}

/** One restored copy, as `slipway backup copies` shows it. */
export interface RestoredCopy {
  /** The restore run that made it: what `slipway backup drop` takes. */
  copy: string;
  addon: string;
  /** What was asked ("latest" or a time) and the last commit the copy holds. */
  target: string | null;
  restoredTo: string | null;
  instance: { port: number; dataDir: string };
  bytes: number;
  /** Releases whose services use it (newest first); `live`: the live one is among them. */
  usedBy: number[];
  live: boolean;
  /** Why `backup drop` would refuse it now; null: it may be dropped. */
  kept: string | null;
}

/** The copies `backup restore` made in an environment that are not dropped, newest first. */
export async function listRestoredCopies(ctx: Ctx, envName: string): Promise<RestoredCopy[]> {
  const env = await existingEnvironment(ctx, envName);
  const uses = await releaseUses(ctx, env);
  const out: RestoredCopy[] = [];
  for (const run of await copiesOf(ctx, env)) {
    const users = releasesUsing(uses.releases, run.addon, run.instance!.dataDir);
    out.push({
      copy: run.id,
      addon: run.addon,
      target: run.target,
      restoredTo: run.restoredTo,
      instance: run.instance!,
      bytes: await directoryBytes(run.instance!.dataDir),
      usedBy: users.map((r) => r.number),
      live: users.some((r) => r.id === env.liveReleaseId),
      kept: uses.refusal(users, run) ?? null,
    });
  }
  return out;
}

/**
 * `slipway backup drop`: stops a restored copy and deletes its directory, unless a kept release
 * uses it (dropRefusal). Marked dropped first, so a drop cut short is finished by the next one.
 */
export async function dropRestoredCopy(
  ctx: Ctx,
  envName: string,
  copy: string,
  actor: string,
): Promise<{ copy: string; addon: string; dropped: true }> {
  const env = await existingEnvironment(ctx, envName);
  const run = await ctx.store.backupRuns.get(copy);
  if (!run || run.environmentId !== env.id || run.kind !== "restore" || !run.instance)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `${envName} has no restored copy "${copy}"`,
      `the copies are listed by: slipway backup copies --env ${envName}`,
      { field: "copy" },
    );
  const uses = await releaseUses(ctx, env);
  const reason = uses.refusal(releasesUsing(uses.releases, run.addon, run.instance.dataDir), run);
  if (reason)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `copy ${copy} of ${envName}/${run.addon} is in use and was not dropped: ${reason}`,
      "deploy or roll back so that no kept release uses it, then drop it",
      { field: "copy" },
    );
  const row = (await ctx.store.environments.addons(env.id)).find((r) => r.name === run.addon);
  if (!row) throw new SlipwayError("SLW_NOT_FOUND", `${envName} has no add-on ${run.addon} any more`);
  // Dropping again finishes a drop cut short (or does nothing more): one event per copy.
  const first = await ctx.store.backupRuns.markDropped(run.id, actor, ctx.now());
  await ctx.driver.backups.discard({ ...recordOf(ctx, env, row), ...run.instance });
  if (first)
    await ctx.event({
      kind: "backup.copy-dropped",
      subject: `${row.id}/backups`,
      actor,
      message: `${envName}/${run.addon}: restored copy ${copy} (127.0.0.1:${run.instance.port}) stopped and its directory ${run.instance.dataDir} removed`,
      data: { run: run.id, ...run.instance },
    });
  return { copy, addon: run.addon, dropped: true as const };
}

/**
 * Refuses a rollback to a release whose services used a copy that has since been dropped:
 * the instance it would go back to is gone.
 */
export async function refuseDroppedInstances(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
): Promise<void> {
  for (const run of await ctx.store.backupRuns.list(env.id, undefined, 1000)) {
    if (!run.droppedAt || release.addonInstances?.[run.addon]?.dataDir !== run.instance?.dataDir) continue;
    throw new SlipwayError(
      "SLW_CONFLICT",
      `v${release.number} used ${run.addon}'s restored copy ${run.id}, which was dropped at ${run.droppedAt}; nothing was rolled back`,
      "roll back to another release (slipway releases), or restore that state again and switch to it",
    );
  }
}

async function copiesOf(ctx: Ctx, env: EnvironmentRow): Promise<BackupRunRow[]> {
  return (await ctx.store.backupRuns.list(env.id, undefined, 1000)).filter(
    (r) => r.kind === "restore" && r.state === "succeeded" && r.instance && !r.droppedAt,
  );
}

/** The environment's releases and what keeps one (see dropRefusal), read once. */
async function releaseUses(ctx: Ctx, env: EnvironmentRow) {
  const releases = await ctx.store.releases.list(env.id);
  const rollouts = await ctx.store.rollouts.list(env.id, 1000);
  const wentLive = new Set(rollouts.filter((r) => r.phase === "succeeded").map((r) => r.toReleaseId!));
  const rollingTo = (await ctx.store.rollouts.active())
    .filter((r) => r.environmentId === env.id && r.toReleaseId)
    .map((r) => r.toReleaseId!);
  const rows = await ctx.store.environments.addons(env.id);
  return {
    releases,
    refusal: (users: ReleaseRow[], run: BackupRunRow) =>
      dropRefusal(users, releases, env.liveReleaseId, wentLive, rollingTo) ??
      // The add-on's current instance (a switch made before releases recorded theirs) is kept too.
      (rows.some((r) => r.name === run.addon && r.dataDir === run.instance?.dataDir)
        ? `${run.addon} runs on it`
        : undefined),
  };
}

/** Bytes the files under `dir` take (a copy's data directory; 0 when it is gone). */
async function directoryBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries)
    if (e.isFile())
      total += await lstat(join(e.parentPath ?? e.path, e.name)).then(
        (s) => s.size,
        () => 0,
      );
  return total;
}
