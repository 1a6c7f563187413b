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
  const repoOf = (repo: BackupRepo) => {
    const r = world.repositories.get(repo.location);
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
      if (!world.repositories.has(repo.location))
        world.repositories.set(repo.location, {
          key: Buffer.from(repo.key).toString("hex"),
          backups: [],
          streaming: false,
        });
      const r = repoOf(repo);
      const started = !r.streaming;
      r.streaming = true;
      return { started };
    },
    async unprotect(repo) {
      world.call(`unprotect ${repo.location}`);
      repoOf(repo).streaming = false;
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
        streaming: r.streaming,
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
    async detach() {},
  };
}
