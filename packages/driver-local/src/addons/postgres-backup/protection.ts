import { join } from "node:path";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import pg from "pg";
import { type Cluster, REPLICATION_ROLE, writeAccessRules } from "../postgres-cluster";
import { connectAdmin } from "../postgres-provision";
import {
  exitWatch,
  logTail,
  pidAlive,
  readPidFile,
  signal,
  spawnDetached,
  waitFor,
  waitForExit,
} from "../process";
import { derivedSecret } from "../secrets";
import type { AddonRecord } from "../types";
import { type BackupKey, checkKey } from "./encryption";
import {
  CONFIG,
  prepareRepo,
  type Repo,
  type RepoConfig,
  type RepoPaths,
  readRepoConfig,
  writeJson,
} from "./repository";

/** The physical replication slot that keeps on the server every WAL byte the receiver has not flushed. */
export const SLOT = "slipway_backup";

/**
 * How much WAL the server keeps for a receiver that has stopped confirming (max_slot_wal_keep_size).
 * The trade-off: without a cap, a receiver that dies unnoticed makes the slot pin WAL until the
 * live database's disk is full and it stops; with it, once the receiver is this far behind,
 * PostgreSQL invalidates the slot and recycles that WAL, so the database keeps running but the
 * archive has a gap: restores reach up to the gap from older backups, and after it only from a
 * base backup taken once protection resumes (protect() replaces a lost slot). Protection is there
 * for the database; it must never be what takes it down.
 */
export const MAX_SLOT_WAL_KEEP = "4GB";

/** The replication role's password, derived like the app's: nothing new to store. */
export function replicationPassword(record: AddonRecord): string {
  return derivedSecret(record.password, `postgres:${record.env}:${record.name}:${REPLICATION_ROLE}`);
}

/**
 * Turns continuous protection on for a running cluster, idempotently: the replication role and
 * its access rule, the slot, the repository, and pg_receivewal streaming into it. PostgreSQL 15
 * ships with wal_level = replica and ten WAL senders, so no restart is needed; a cluster
 * configured below that is refused rather than restarted under its users.
 */
export async function enableProtection(c: Cluster, repo: Repo, key: BackupKey): Promise<RepoConfig> {
  const paths = repo.paths;
  const existing = await readRepoConfig(repo);
  const fingerprint = checkKey(key, existing?.keyFingerprint);
  const client = await connectAdmin(c.record);
  try {
    const server = await serverFacts(client);
    assertReplicationPossible(c.record, server);
    if (existing && existing.systemIdentifier !== server.systemIdentifier)
      throw new SlipwayError(
        "SLW_BACKUP_FAILED",
        `${repo.store.where} holds the backups of another cluster (system ${existing.systemIdentifier}, this one is ${server.systemIdentifier})`,
        "give each postgres add-on its own backup repository",
      );
    await ensureReplicationRole(client, replicationPassword(c.record));
    writeAccessRules(c);
    await client.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '${MAX_SLOT_WAL_KEEP}'`);
    await client.query("SELECT pg_reload_conf()");
    await replaceLostSlot(client);
    await client.query(
      "SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
      [SLOT],
    );
    const config: RepoConfig = existing ?? {
      version: 1,
      systemIdentifier: server.systemIdentifier,
      walSegmentSize: server.walSegmentSize,
      keyFingerprint: fingerprint,
    };
    prepareRepo(paths, c.runAs);
    if (!existing) await writeJson(repo, CONFIG, config);
    if (!receiverRunning(paths)) await startReceiver(c, paths, client);
    return config;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A slot the server invalidated (the receiver fell MAX_SLOT_WAL_KEEP behind) can never stream
 * again: it is dropped so a new one starts from the current WAL. The gap stays a gap.
 */
async function replaceLostSlot(client: pg.Client): Promise<void> {
  await client.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND wal_status = 'lost' AND NOT active",
    [SLOT],
  );
}

interface ServerFacts {
  walLevel: string;
  walSenders: number;
  systemIdentifier: string;
  walSegmentSize: number;
}

async function serverFacts(client: pg.Client): Promise<ServerFacts> {
  const { rows } = await client.query<{ wal_level: string; senders: string; sysid: string; segsize: string }>(
    `SELECT current_setting('wal_level') AS wal_level, current_setting('max_wal_senders') AS senders,
            (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segsize`,
  );
  const r = rows[0]!;
  return {
    walLevel: r.wal_level,
    walSenders: Number(r.senders),
    systemIdentifier: r.sysid,
    walSegmentSize: Number(r.segsize),
  };
}

function assertReplicationPossible(record: AddonRecord, s: ServerFacts): void {
  if (s.walLevel === "minimal" || s.walSenders < 2)
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      `postgres add-on "${record.name}" (env ${record.env}) has wal_level = ${s.walLevel} and max_wal_senders = ${s.walSenders}; streaming backups need replica and at least 2`,
      "remove the override that lowered them (PostgreSQL's defaults are replica and 10) and restart the add-on",
    );
}

async function ensureReplicationRole(client: pg.Client, password: string): Promise<void> {
  const role = pg.escapeIdentifier(REPLICATION_ROLE);
  const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [REPLICATION_ROLE]);
  const verb = exists.rowCount === 0 ? "CREATE" : "ALTER";
  await client.query(
    `${verb} ROLE ${role} LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${pg.escapeLiteral(password)}`,
  );
}

export function receiverRunning(paths: RepoPaths): boolean {
  return pidAlive(readPidFile(paths.receiverPid), "pg_receivewal");
}

/**
 * pg_receivewal, detached like the servers so it outlives the control plane, fsyncing each
 * message it receives (`--synchronous`): a commit is in the repository within milliseconds,
 * not at the next 16 MB segment. Without `-n` it reconnects by itself when the server restarts,
 * resuming from its `.partial` segment or the slot.
 */
async function startReceiver(c: Cluster, paths: RepoPaths, client: pg.Client): Promise<void> {
  const child = spawnDetached(
    join(c.binDir, "pg_receivewal"),
    [
      "--host=127.0.0.1",
      `--port=${c.record.port}`,
      `--username=${REPLICATION_ROLE}`,
      "--no-password",
      `--slot=${SLOT}`,
      `--directory=${paths.incoming}`,
      "--synchronous",
      "--verbose",
    ],
    {
      runAs: c.runAs,
      cwd: paths.incoming,
      logFile: paths.receiverLog,
      stdin: "",
      env: { PGPASSWORD: replicationPassword(c.record) },
    },
  );
  const exited = exitWatch(child);
  if (child.pid !== undefined) writeFileAtomic(paths.receiverPid, `${child.pid}\n`, 0o600);
  const streaming = await waitFor(
    async () => {
      const { rows } = await client.query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [
        SLOT,
      ]);
      return rows[0]?.active === true ? true : undefined;
    },
    15_000,
    exited,
  );
  if (!streaming) {
    if (!exited() && child.pid) signal(child.pid, "SIGTERM");
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      `pg_receivewal did not start streaming from port ${c.record.port}:\n${logTail([paths.receiverLog])}`,
      `the full log is ${paths.receiverLog}`,
    );
  }
}

/** Stops the receiver (the slot stays, so the server keeps the WAL it has not received yet). */
export async function stopReceiver(paths: RepoPaths): Promise<void> {
  const pid = readPidFile(paths.receiverPid);
  if (!pid || !pidAlive(pid, "pg_receivewal")) return;
  signal(pid, "SIGINT"); // pg_receivewal's clean exit: flushes and closes its segment
  if (!(await waitForExit(pid, "pg_receivewal", 10_000))) signal(pid, "SIGKILL");
}

/**
 * Waits until the repository holds every WAL byte the server has written so far; returns that
 * position. For a backup's end, a drill's start and tests: the receiver confirms each flush to
 * the slot, so the slot's restart_lsn is what the repository has.
 */
export async function waitForArchived(record: AddonRecord, timeoutMs: number): Promise<string> {
  const client = await connectAdmin(record);
  try {
    const { rows } = await client.query<{ lsn: string }>("SELECT pg_current_wal_flush_lsn()::text AS lsn");
    const lsn = rows[0]!.lsn;
    const done = await waitFor(async () => {
      const r = await client.query(
        "SELECT restart_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1",
        [SLOT, lsn],
      );
      return r.rows[0]?.done === true ? true : undefined;
    }, timeoutMs);
    if (!done)
      throw new SlipwayError(
        "SLW_BACKUP_FAILED",
        `the WAL receiver has not received up to ${lsn} after ${timeoutMs} ms`,
        "check that pg_receivewal runs (its log is receiver.log in the backup repository)",
      );
    return lsn;
  } finally {
    await client.end().catch(() => {});
  }
}
