import { existsSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { isSlipwayError, planRestore, type RestoreTarget, SlipwayError } from "@slipway/core";
import { appendFileNoFollow } from "@slipway/files";
import { assertPortFree } from "../../system/ports";
import { prepareDataDir, writeOwnedFile } from "../data-dir";
import {
  assertShellSafeDataDir,
  type Cluster,
  logFile,
  postmasterPid,
  stopCluster,
  writeSettings,
} from "../postgres-cluster";
import { connectAdmin } from "../postgres-provision";
import { logTail, run, waitFor } from "../process";
import type { AddonRecord } from "../types";
import { unpackBackup } from "./base-backup";
import { type BackupKey, checkKey } from "./encryption";
import { listBackups, type Repo, requireRepoConfig } from "./repository";
import { lastCommitTime, materializeWal } from "./wal";
import { segmentOf } from "./wal-names";

export interface RestoreRequest {
  target: RestoreTarget;
  /** A new, absent (or empty) directory: never the live one, nor inside or around it. */
  dataDir: string;
  /** A free port for the restored server. */
  port: number;
}

export interface RestoreResult {
  /** The restored instance: the live record with the new directory and port (same passwords). */
  record: AddonRecord;
  pid: number;
  /** Base backup replayed from. */
  baseBackup: string;
  target: RestoreTarget;
  /** The last transaction replayed (ms), undefined if none was after the backup; and where replay ended. */
  restoredTo: { lastCommitAt: number | undefined; lsn: string };
  /** Start of the restore to the instance accepting writes. */
  rtoMs: number;
  /** Where that time went: unpacking the base backup, putting WAL in place, replay until promoted. */
  phasesMs: { unpack: number; wal: number; recovery: number };
}

/**
 * Restores into a new data directory and port, leaving the live cluster untouched: checks
 * the key and the target first (nothing is written for a wrong one), unpacks the base backup,
 * puts the archived WAL in its pg_wal, replays it as a standby up to the target, and promotes
 * it. On any failure the new directory is removed.
 */
export async function restore(
  live: Cluster,
  repo: Repo,
  key: BackupKey,
  req: RestoreRequest,
  now = Date.now,
): Promise<RestoreResult> {
  const startedAt = now();
  const config = await requireRepoConfig(repo);
  checkKey(key, config.keyFingerprint);
  const record: AddonRecord = { ...live.record, dataDir: resolve(req.dataDir), port: req.port };
  assertSeparate(live.record, record);
  assertShellSafeDataDir(record);
  await assertPortFree(req.port, "choose another port for the restored instance");
  const backups = await listBackups(repo);
  const lastCommit = req.target.kind === "time" ? await lastCommitTime(live, repo, key) : undefined;
  const plan = planRestore(backups, lastCommit, req.target);
  const base = backups.find((b) => b.id === plan.base.id)!;

  const c: Cluster = { ...live, record };
  prepareDataDir(record, c.runAs);
  try {
    const t0 = now();
    await unpackBackup(c, repo, base.id, key, record.dataDir);
    const t1 = now();
    const firstSegment = segmentOf(base.startLsn, base.timeline, config.walSegmentSize);
    await materializeWal(c, repo, key, firstSegment, join(record.dataDir, "pg_wal"));
    const t2 = now();
    writeRecoverySettings(c, plan.stopAt);
    await startRecovery(c);
    const restoredTo = await finishRecovery(c, plan.stopAt);
    const end = now();
    return {
      record,
      pid: postmasterPid(record)!.pid,
      baseBackup: base.id,
      target: req.target,
      restoredTo,
      rtoMs: end - startedAt,
      phasesMs: { unpack: t1 - t0, wal: t2 - t1, recovery: end - t2 },
    };
  } catch (e) {
    if (postmasterPid(record)) await stopCluster(c).catch(() => {});
    const log = logTail([logFile(record)], 20);
    rmSync(record.dataDir, { recursive: true, force: true });
    if (isSlipwayError(e) && e.code !== "SLW_BACKUP_FAILED") throw e;
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      `restore into ${record.dataDir} failed: ${e instanceof Error ? e.message : String(e)}${log ? `\n${log}` : ""}`,
      "the partly restored directory was removed; the live instance was not touched",
      { log },
    );
  }
}

/** The new directory must not be, contain or sit inside the live one, and must be empty. */
export function assertSeparate(live: AddonRecord, next: AddonRecord): void {
  const liveDir = existsSync(live.dataDir) ? realpathSync(live.dataDir) : resolve(live.dataDir);
  const parent = existsSync(dirname(next.dataDir))
    ? realpathSync(dirname(next.dataDir))
    : dirname(next.dataDir);
  const nextDir = join(parent, basename(next.dataDir));
  const inside = (a: string, b: string) => {
    const r = relative(b, a);
    return r === "" || (!r.startsWith("..") && !r.startsWith("/"));
  };
  if (inside(nextDir, liveDir) || inside(liveDir, nextDir))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `dataDir ${next.dataDir} overlaps the live data directory ${live.dataDir}; a restore never writes there`,
      "give the restore a new directory outside the live one",
      { field: "dataDir" },
    );
  if (existsSync(next.dataDir) && readdirSync(next.dataDir).length > 0)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `dataDir ${next.dataDir} is not empty; a restore never overwrites anything`,
      "give the restore a new or empty directory",
      { field: "dataDir" },
    );
}

/**
 * The WAL is all in pg_wal already, so there is nothing to fetch: `restore_command` only has to
 * exist and fail, which sends recovery to pg_wal. It runs as a standby and is promoted by us
 * (see finishRecovery): PostgreSQL ends a recovery that stops by itself with a full immediate
 * checkpoint before it accepts writes, while a promotion writes an end-of-recovery record and
 * checkpoints in the background, which takes seconds per GB off the RTO.
 */
function writeRecoverySettings(c: Cluster, stopAt: number | undefined): void {
  writeSettings(c);
  const lines = [
    "",
    "# Written by Slipway's restore; the next start rewrites this file without them.",
    "restore_command = '/bin/false'",
    "hot_standby = on",
    "recovery_target_timeline = 'current'",
    ...(stopAt === undefined
      ? []
      : [`recovery_target_time = '${pgTimestamp(stopAt)}'`, "recovery_target_action = 'pause'"]),
    "",
  ];
  appendFileNoFollow(join(c.record.dataDir, "slipway.conf"), lines.join("\n"), 0o600, c.runAs);
  // postgresql.auto.conf is read last: an archive_command the live cluster had (ALTER SYSTEM)
  // must not make the restored copy push its new timeline into the live one's archive.
  appendFileNoFollow(
    join(c.record.dataDir, "postgresql.auto.conf"),
    "\n# A restored copy never archives into the live cluster's archive (Slipway).\narchive_mode = 'off'\n",
    0o600,
    c.runAs,
  );
  writeOwnedFile(join(c.record.dataDir, "standby.signal"), "", c.runAs);
}

/** 2026-11-30 10:44:43.953+00: the form recovery_target_time accepts (not ISO's T…Z). */
function pgTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}+00`;
}

/** pg_ctl -w returns once the standby is consistent and accepts read-only connections. */
async function startRecovery(c: Cluster): Promise<void> {
  const r = await run(
    join(c.binDir, "pg_ctl"),
    ["start", "-D", c.record.dataDir, "-l", logFile(c.record), "-w", "-t", "3600", "-s"],
    c.runAs,
  );
  if (r.code !== 0)
    throw new SlipwayError("SLW_BACKUP_FAILED", `the restored server did not start: ${r.output.trim()}`);
}

/**
 * Waits until replay is done, then promotes: paused at the target for a point in time; for the
 * latest state, when the startup process has read everything in pg_wal and waits to retry
 * (wait event RecoveryRetrieveRetryInterval). A time target that ends up there instead was not
 * reached: refused rather than silently restoring something else. Returns the last replayed
 * transaction's time and position.
 */
async function finishRecovery(c: Cluster, stopAt: number | undefined): Promise<RestoreResult["restoredTo"]> {
  const client = await connectAdmin(c.record);
  try {
    const state = await waitFor(
      async () => {
        const { rows } = await client.query<{ paused: string; waiting: boolean }>(
          `SELECT pg_get_wal_replay_pause_state() AS paused,
                  EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'startup'
                          AND wait_event = 'RecoveryRetrieveRetryInterval') AS waiting`,
        );
        const r = rows[0]!;
        if (r.paused === "paused") return "at-target";
        return r.waiting ? "end-of-wal" : undefined;
      },
      3_600_000,
      () => postmasterPid(c.record) === undefined,
    );
    if (!state)
      throw new SlipwayError("SLW_BACKUP_FAILED", "the restored server stopped before recovery finished");
    if (stopAt !== undefined && state !== "at-target")
      throw new SlipwayError(
        "SLW_BACKUP_FAILED",
        `recovery ended before reaching ${new Date(stopAt).toISOString()}: the archived WAL has no transaction after it`,
      );
    const { rows } = await client.query<{ at: Date | null; lsn: string | null }>(
      "SELECT pg_last_xact_replay_timestamp() AS at, pg_last_wal_replay_lsn()::text AS lsn",
    );
    const promoted = await client.query<{ ok: boolean }>("SELECT pg_promote(true, 3600) AS ok");
    if (promoted.rows[0]?.ok !== true)
      throw new SlipwayError("SLW_BACKUP_FAILED", "the restored server did not promote");
    return { lastCommitAt: rows[0]?.at?.getTime(), lsn: rows[0]?.lsn ?? "" };
  } finally {
    await client.end().catch(() => {});
  }
}
