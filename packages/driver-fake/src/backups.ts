import {
  type BackupRepo,
  type BackupsPort,
  planExpiry,
  planRestore,
  recoverableWindow,
  SlipwayError,
} from "@slipway/core";
import type { FakeWorld } from "./world";

/**
 * Backups kept in the world: a repository is its base backups plus the heartbeats written while
 * protected (standing in for the WAL), so restores to a time keep exactly the beats before it.
 * Tests plant failures with `world.failOn("createBase prod/db", …)`.
 */
export function fakeBackups(world: FakeWorld): BackupsPort {
  /** A repository is its bucket prefix when it has one, else its location. */
  const where = (repo: BackupRepo) =>
    repo.bucket ? `s3://${repo.bucket.bucket}/${repo.bucket.prefix}` : repo.location;
  const newRepo = (repo: BackupRepo) => ({
    key: Buffer.from(repo.key).toString("hex"),
    backups: [],
    snapshots: [],
  });
  const repoOf = (repo: BackupRepo) => {
    const r = world.repositories.get(where(repo));
    const key = Buffer.from(repo.key).toString("hex");
    if (r && r.key !== key)
      throw new SlipwayError(
        "SLW_BACKUP_KEY",
        `${repo.location} is encrypted with another key`,
        "pass the key the backups were made with",
      );
    if (!r)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no backup repository at ${repo.location}`,
        "protect the add-on first",
      );
    return r;
  };
  const beats = (dataDir: string) => world.heartbeats.get(dataDir) ?? [];
  const lastCommit = (dataDir: string) => beats(dataDir).at(-1);
  return {
    async protect(record, repo) {
      world.call(`protect ${record.env}/${record.name}`);
      const created = !world.repositories.has(where(repo));
      if (created) world.repositories.set(where(repo), newRepo(repo));
      repoOf(repo); // the key must be the repository's
      const started = created || !world.streaming.has(repo.location);
      world.streaming.add(repo.location);
      return { started };
    },
    async unprotect(repo) {
      world.call(`unprotect ${repo.location}`);
      world.streaming.delete(repo.location);
    },
    async sealWal(_record, repo) {
      repoOf(repo);
      return 0;
    },
    async createBase(record, repo) {
      world.call(`createBase ${record.env}/${record.name}`);
      const r = repoOf(repo);
      const at = world.clock.now();
      const b = {
        id: `b${r.backups.length + 1}`,
        startedAt: at,
        endedAt: at,
        bytes: 1024,
        verified: true,
        startLsn: `0/${r.backups.length}`,
        endLsn: "0/0",
      };
      r.backups.push(b);
      return b;
    },
    async list(record, repo) {
      const r = repoOf(repo);
      return {
        backups: r.backups,
        window: recoverableWindow(r.backups, lastCommit(record.dataDir)),
        streaming: world.streaming.has(repo.location),
        walSegments: 0,
      };
    },
    async restore(record, repo, { target, into }) {
      world.call(`restore ${record.env}/${record.name}`);
      const r = repoOf(repo);
      const plan = planRestore(r.backups, lastCommit(record.dataDir), target);
      const kept = beats(record.dataDir).filter((t) => plan.stopAt === undefined || t <= plan.stopAt);
      world.heartbeats.set(into.dataDir, kept);
      world.addons.set(`${record.env}/${into.dataDir}`, { pid: world.pid(), running: true });
      return {
        record: { ...record, ...into },
        baseBackup: plan.base.id,
        lastCommitAt: kept.at(-1),
        rtoMs: world.restoreMs,
      };
    },
    async expire(_record, repo, retentionMs, now) {
      const r = repoOf(repo);
      const plan = planExpiry(r.backups, now, retentionMs);
      r.backups = r.backups.filter((b) => !plan.backups.includes(b.id));
      return { removedBackups: plan.backups, removedWalSegments: 0 };
    },
    async heartbeat(record, _databases, at) {
      world.heartbeats.set(record.dataDir, [...beats(record.dataDir), at]);
    },
    async check(instance, databases, queries) {
      return {
        newestHeartbeatAt: lastCommit(instance.dataDir),
        queries: queries.map((sql) => ({
          database: databases[0] ?? "app",
          sql,
          ok: !world.failingQueries.has(sql),
        })),
      };
    },
    async discard(instance) {
      world.call(`discard ${instance.dataDir}`);
      world.addons.delete(`${instance.env}/${instance.dataDir}`);
      world.heartbeats.delete(instance.dataDir);
    },
    async snapshotRedis(record, repo) {
      world.call(`snapshotRedis ${record.env}/${record.name}`);
      if (!world.repositories.has(where(repo))) world.repositories.set(where(repo), newRepo(repo));
      const r = repoOf(repo);
      const snap = { id: `s${r.snapshots.length + 1}`, takenAt: world.clock.now(), bytes: 512 };
      r.snapshots.push(snap);
      return { ...snap };
    },
    async listRedis(_record, repo) {
      if (!world.repositories.has(where(repo))) return [];
      return repoOf(repo).snapshots.map((s) => ({ ...s }));
    },
    async restoreRedis(_config, record, repo, { id, into }) {
      world.call(`restoreRedis ${record.env}/${record.name}`);
      const r = world.repositories.has(where(repo)) ? repoOf(repo) : undefined;
      const snap = r?.snapshots.find((s) => s.id === id);
      if (!snap)
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `redis add-on "${record.name}" has no snapshot ${id} in ${repo.location}`,
          `snapshots: ${r?.snapshots.map((s) => s.id).join(", ") || "none yet"}`,
        );
      world.addons.set(`${record.env}/${into.dataDir}`, { pid: world.pid(), running: true });
      return { record: { ...record, ...into }, snapshot: snap.id, keys: 0 };
    },
    async removeRedis(_record, repo, ids) {
      const r = repoOf(repo);
      r.snapshots = r.snapshots.filter((s) => !ids.includes(s.id));
    },
    async detach() {},
  };
}
