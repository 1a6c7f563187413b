import { rmSync } from "node:fs";
import type { AddonRecord, BackupInfo, BackupRepo, BackupsPort, InstanceCheck } from "@slipway/core";
import type { RedisAddon } from "@slipway/spec";
import pg from "pg";
import { addonDriver } from "./addons";
import { appPassword } from "./addons/postgres";
import { type BackupMeta, type BackupRepository, postgresBackups } from "./addons/postgres-backup";
import { checkKey } from "./addons/postgres-backup/encryption";
import { receiverRunning } from "./addons/postgres-backup/protection";
import { openRepo, readRepoConfig } from "./addons/postgres-backup/repository";
import { APP_ROLE } from "./addons/postgres-provision";
import { type RedisSnapshot, redisSnapshots } from "./addons/redis-snapshot";

/**
 * The backups port over the local engine (addons/postgres-backup, addons/redis-snapshot): a
 * repository is a directory on this machine, or a bucket with only working files kept here.
 * Heartbeats and a restored copy's checks connect as the databases' owner role (the services'
 * role), so the heartbeat table belongs to the app like its other tables.
 */
export function localBackups(): BackupsPort {
  const engine = postgresBackups();
  const redis = redisSnapshots();
  const heartbeats = new Map<string, Promise<pg.Client>>();

  const heartbeatClient = (record: AddonRecord, database: string): Promise<pg.Client> => {
    const id = `${record.port}/${database}`;
    let client = heartbeats.get(id);
    if (!client) {
      client = connectAsOwner(record, database).then(async (c) => {
        // A dropped connection (the add-on restarted) is made again on the next beat.
        c.on("error", () => heartbeats.delete(id));
        c.on("end", () => heartbeats.delete(id));
        await c.query(HEARTBEAT_TABLE);
        return c;
      });
      client.catch(() => heartbeats.delete(id));
      heartbeats.set(id, client);
    }
    return client;
  };

  return {
    async protect(record, repo) {
      const local = openRepo(repo.location, repo.bucket);
      const config = await readRepoConfig(local);
      // Running and the right key: nothing to do (this runs on every reconcile).
      if (config && receiverRunning(local.paths)) {
        checkKey(keyOf(repo), config.keyFingerprint);
        return { started: false };
      }
      await engine.protect(record, engineRepo(repo));
      return { started: true };
    },
    unprotect: (repo) => engine.stopStreaming({ dir: repo.location }),
    sealWal: (record, repo) => engine.sealWal(record, engineRepo(repo)),
    async createBase(record, repo) {
      return info(await engine.createBackup(record, engineRepo(repo)));
    },
    async list(record, repo) {
      const l = await engine.list(record, engineRepo(repo));
      return {
        backups: l.backups.map(info),
        window: l.window,
        streaming: l.receiverRunning,
        walSegments: l.walSegments,
      };
    },
    async restore(record, repo, { target, into }) {
      const r = await engine.restore(record, engineRepo(repo), { target, ...into });
      return {
        record: r.record,
        baseBackup: r.baseBackup,
        lastCommitAt: r.restoredTo.lastCommitAt,
        rtoMs: r.rtoMs,
      };
    },
    async expire(record, repo, retentionMs, now) {
      return engine.expire(record, engineRepo(repo), retentionMs, now);
    },
    async heartbeat(record, databases, at) {
      for (const db of databases) {
        const client = await heartbeatClient(record, db);
        await client.query(HEARTBEAT_INSERT, [new Date(at)]);
      }
    },
    async check(instance, databases, queries) {
      return checkInstance(instance, databases, queries);
    },
    async discard(instance) {
      await addonDriver("postgres").stop(instance);
      rmSync(instance.dataDir, { recursive: true, force: true });
    },
    async snapshotRedis(record, repo) {
      return snapshotInfo(await redis.snapshot(record, engineRepo(repo)));
    },
    async listRedis(record, repo) {
      return (await redis.list(record, engineRepo(repo))).map(snapshotInfo);
    },
    async restoreRedis(config, record, repo, { id, into }) {
      // A release's redis config is the spec's, frozen: the same fields the driver starts from.
      const r = await redis.restore(config as RedisAddon, record, engineRepo(repo), { id, ...into });
      return { record: r.record, snapshot: r.snapshot, keys: r.keys };
    },
    removeRedis: (record, repo, ids) => redis.remove(record, engineRepo(repo), ids),
    async detach() {
      const clients = [...heartbeats.values()];
      heartbeats.clear();
      for (const c of clients) await (await c.catch(() => undefined))?.end().catch(() => {});
    },
  };
}

/** Its own schema, so it never mixes with the app's tables or migrations. */
const HEARTBEAT_TABLE = `
  create schema if not exists slipway;
  create table if not exists slipway.slipway_heartbeat (at timestamptz primary key)`;
/** One row per beat; a day of them is kept (RPO is read from the newest). */
const HEARTBEAT_INSERT = `
  with old as (delete from slipway.slipway_heartbeat where at < $1::timestamptz - interval '1 day')
  insert into slipway.slipway_heartbeat (at) values ($1) on conflict do nothing`;

async function checkInstance(
  instance: AddonRecord,
  databases: readonly string[],
  queries: readonly string[],
): Promise<InstanceCheck> {
  let newest: number | undefined;
  const results: InstanceCheck["queries"] = [];
  for (const [i, db] of databases.entries()) {
    const client = await connectAsOwner(instance, db);
    try {
      // Names are resolved before a WHERE is evaluated: ask whether the table exists first.
      const { rows: found } = await client.query<{ t: string | null }>(
        "select to_regclass('slipway.slipway_heartbeat')::text as t",
      );
      const { rows } = found[0]?.t
        ? await client.query<{ at: Date | null }>("select max(at) as at from slipway.slipway_heartbeat")
        : { rows: [] };
      const at = rows[0]?.at?.getTime();
      if (at !== undefined && (newest === undefined || at > newest)) newest = at;
      // Verification queries run in the first database, the one services get as DATABASE_URL.
      if (i === 0)
        for (const sql of queries) {
          try {
            await client.query(sql);
            results.push({ database: db, sql, ok: true });
          } catch (e) {
            results.push({ database: db, sql, ok: false, error: (e as Error).message });
          }
        }
    } finally {
      await client.end().catch(() => {});
    }
  }
  return { newestHeartbeatAt: newest, queries: results };
}

async function connectAsOwner(record: AddonRecord, database: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port: record.port,
    user: APP_ROLE,
    password: appPassword(record),
    database,
    connectionTimeoutMillis: 2_000,
  });
  client.on("error", () => {}); // a server going away must not crash the control plane
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

const keyOf = (repo: BackupRepo) => Buffer.from(repo.key);
const engineRepo = (repo: BackupRepo): BackupRepository => ({
  dir: repo.location,
  key: keyOf(repo),
  ...(repo.bucket ? { s3: repo.bucket } : {}),
});

const snapshotInfo = (s: RedisSnapshot) => ({ id: s.id, takenAt: s.takenAt, bytes: s.bytes });

function info(m: BackupMeta): BackupInfo {
  return {
    id: m.id,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    bytes: m.bytes,
    verified: m.verified,
    ...(m.verifyError ? { verifyError: m.verifyError } : {}),
  };
}
