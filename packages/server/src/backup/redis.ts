import {
  expiredRedisSnapshots,
  type RedisSnapshotInfo,
  type RestoreTarget,
  redisSnapshotDue,
  redisSnapshotFor,
  retentionMs,
  SlipwayError,
} from "@slipway/core";
import type { Ctx } from "../context";
import type { SnapshottedRedis } from "./protected-addons";
import { failed, iso } from "./runs";

/** A redis add-on's snapshots as `slipway backup list` shows them. */
export interface RedisBackups {
  addon: string;
  every: "hourly" | "daily";
  retentionDays: number;
  snapshots: { id: string; takenAt: string; bytes: number }[];
}

/** A redis add-on restored from a snapshot into a new instance. */
export interface RedisRestoreReport {
  run: string;
  addon: string;
  kind: "redis";
  target: string;
  snapshot: string;
  snapshotTakenAt: string;
  instance: { host: string; port: number; dataDir: string };
  keys: number;
}

export async function redisListing(ctx: Ctx, r: SnapshottedRedis): Promise<RedisBackups> {
  const snapshots = await ctx.driver.backups.listRedis(r.record, r.repo);
  return {
    addon: r.row.name,
    every: r.config.backup.snapshots,
    retentionDays: r.policy.retentionDays,
    snapshots: snapshots.map((s) => ({ id: s.id, takenAt: iso(s.takenAt), bytes: s.bytes })),
  };
}

/** An RDB snapshot now, into the repository, with its event. */
export async function takeSnapshot(ctx: Ctx, r: SnapshottedRedis, actor: string): Promise<RedisSnapshotInfo> {
  const subject = `${r.row.id}/backups`;
  try {
    const snap = await ctx.driver.backups.snapshotRedis(r.record, r.repo);
    await ctx.event({
      kind: "backup.redis-snapshot",
      subject,
      actor,
      message: `${r.env.name}/${r.row.name}: RDB snapshot ${snap.id} taken (${snap.bytes} bytes stored)`,
      data: { snapshot: snap.id, bytes: snap.bytes },
    });
    return snap;
  } catch (e) {
    await ctx.event({
      kind: "backup.failed",
      subject,
      actor,
      message: `${r.env.name}/${r.row.name}: RDB snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
    });
    throw e;
  }
}

/**
 * What the reconciler does for a redis add-on each tick: a snapshot when the period has passed
 * since the newest (the repository is the record: nothing to keep in the store), then
 * retention, which never removes the newest.
 */
export async function reconcileRedis(ctx: Ctx, r: SnapshottedRedis, actor: string): Promise<void> {
  const before = await ctx.driver.backups.listRedis(r.record, r.repo);
  if (redisSnapshotDue(r.config.backup.snapshots, before.at(-1)?.takenAt, ctx.now()))
    await takeSnapshot(ctx, r, actor);
  const all = await ctx.driver.backups.listRedis(r.record, r.repo);
  const expired = expiredRedisSnapshots(all, ctx.now(), retentionMs(r.policy));
  if (!expired.length) return;
  await ctx.driver.backups.removeRedis(r.record, r.repo, expired);
  await ctx.event({
    kind: "backup.expired",
    subject: `${r.row.id}/backups`,
    actor,
    message: `${r.env.name}/${r.row.name}: retention (${r.policy.retentionDays} days) removed ${expired.length} RDB snapshots`,
    data: { removedSnapshots: expired },
  });
}

/**
 * Loads the newest snapshot taken at or before the target into a new instance beside the live
 * one (recorded as a restore run, so `down` stops the copy like the postgres ones).
 */
export async function restoreRedis(
  ctx: Ctx,
  r: SnapshottedRedis,
  target: RestoreTarget,
  actor: string,
): Promise<RedisRestoreReport> {
  const subject = `${r.row.id}/backups`;
  const targetText = target.kind === "latest" ? "latest" : iso(target.at);
  const snapshots = await ctx.driver.backups.listRedis(r.record, r.repo);
  const snap = redisSnapshotFor(snapshots, target);
  if (!snap)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `${r.env.name}/${r.row.name} has no snapshot taken at or before ${targetText}`,
      snapshots.length
        ? `snapshots from ${iso(snapshots[0]!.takenAt)} to ${iso(snapshots.at(-1)!.takenAt)}: restore to a time after the first, or --latest`
        : `none taken yet: slipway backup create --addon ${r.row.name} --env ${r.env.name}`,
    );
  const run = await ctx.store.backupRuns.start({
    environmentId: r.env.id,
    addon: r.row.name,
    kind: "restore",
    requestedBy: actor,
    at: ctx.now(),
    target: targetText,
  });
  try {
    const into = {
      dataDir: ctx.paths.env(r.env.name).restore(r.row.name, run.id),
      port: await ctx.driver.runtime.allocatePort(),
    };
    const restored = await ctx.driver.backups.restoreRedis(r.config, r.record, r.repo, { id: snap.id, into });
    const instance = { dataDir: restored.record.dataDir, port: restored.record.port };
    await ctx.store.backupRuns.finish(run.id, "succeeded", ctx.now(), {
      backupId: snap.id,
      restoredTo: iso(snap.takenAt),
      instance,
    });
    await ctx.event({
      kind: "backup.restored",
      subject,
      actor,
      message: `${r.env.name}/${r.row.name} restored from snapshot ${snap.id} (${iso(snap.takenAt)}, ${restored.keys} keys) into a new instance on 127.0.0.1:${instance.port}; the live instance was not touched`,
      data: { run: run.id, snapshot: snap.id, ...instance },
    });
    return {
      run: run.id,
      addon: r.row.name,
      kind: "redis",
      target: targetText,
      snapshot: snap.id,
      snapshotTakenAt: iso(snap.takenAt),
      instance: { host: "127.0.0.1", ...instance },
      keys: restored.keys,
    };
  } catch (e) {
    await failed(
      ctx,
      run,
      subject,
      actor,
      "backup.restore-failed",
      `${r.env.name}/${r.row.name}: restore failed`,
      e,
    );
    throw e;
  }
}
