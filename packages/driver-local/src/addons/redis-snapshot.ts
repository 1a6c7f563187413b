import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { SlipwayError } from "@slipway/core";
import type { RedisAddon } from "@slipway/spec";
import { requireBinary } from "../system/binaries";
import { assertPortFree } from "../system/ports";
import { addonUser } from "../system/service-user";
import { prepareDataDir } from "./data-dir";
import type { BackupRepository } from "./postgres-backup";
import { checkKey } from "./postgres-backup/encryption";
import { openRepo, prepareRepo, type Repo, readRepoConfig, writeJson } from "./postgres-backup/repository";
import { assertSeparate } from "./postgres-backup/restore";
import { unsealDecompressed, writeCompressedSealed } from "./postgres-backup/sealed-file";
import { finished, requireZstd, spawnTool } from "./postgres-backup/tools";
import { redisDriver } from "./redis";
import { redisCommands } from "./resp";
import type { AddonDriverOptions, AddonRecord } from "./types";

/** One RDB snapshot of a redis add-on, as its meta file records it. */
export interface RedisSnapshot {
  id: string;
  addon: string;
  takenAt: number;
  /** Size of the stored (compressed, encrypted) file. */
  bytes: number;
  keyFingerprint: string;
}

export interface RedisRestoreResult {
  /** The restored instance: the live record with the new directory and port (same password). */
  record: AddonRecord;
  pid: number;
  snapshot: string;
  /** Keys the restored instance holds (DBSIZE). */
  keys: number;
}

// Under redis/<add-on>/ so a redis add-on can share a repository (a directory or a bucket)
// with a postgres add-on's backups without a name ever clashing.
const prefix = (addon: string) => `redis/${addon}/`;
const metaName = (addon: string, id: string) => `${prefix(addon)}${id}.json`;
const dataName = (addon: string, id: string) => `${prefix(addon)}${id}.rdb.zst.enc`;
const dataAad = (addon: string, id: string) => `${prefix(addon)}${id}.rdb.zst`;

/**
 * Redis keeps no persistence by default (caches warm up after a restart); a spec that asks
 * (`backup: { snapshots }`) gets RDB snapshots in the backup repository, sealed like the
 * postgres backups: zstd, then AES-256-GCM with the caller's key.
 *
 * The snapshot is taken with `redis-cli --rdb -`: the replication handshake makes the server
 * fork and stream a point-in-time RDB over the socket (diskless), so nothing is written to the
 * add-on's data directory and no plaintext copy ever touches the disk.
 */
export function redisSnapshots(opts: AddonDriverOptions = {}) {
  const tools = () => {
    requireZstd();
    return requireBinary("redis-cli", "redis-tools", opts.pathEnv ?? process.env.PATH ?? "");
  };

  return {
    async snapshot(
      record: AddonRecord,
      repository: BackupRepository,
      now = Date.now,
    ): Promise<RedisSnapshot> {
      const cli = tools();
      const repo = openRepo(repository.dir, repository.s3);
      const fingerprint = await checkRepositoryKey(repo, repository, record.name);
      prepareRepo(repo.paths, addonUser());
      const id = new Date(now()).toISOString().replaceAll("-", "").replaceAll(":", "");
      const child = spawnTool(
        cli,
        ["-h", "127.0.0.1", "-p", String(record.port), "--no-auth-warning", "--rdb", "-"],
        { runAs: addonUser(), stdout: "pipe", env: { REDISCLI_AUTH: record.password } },
      );
      const exited = finished(child, "redis-cli --rdb", false);
      exited.catch(() => {}); // awaited below
      const sealing = writeCompressedSealed(
        addonUser(),
        child.stdout!,
        repository.key,
        dataAad(record.name, id),
        repo,
        dataName(record.name, id),
      );
      const [sealed, cliExit] = await Promise.allSettled([sealing, exited]);
      if (cliExit.status === "rejected" || sealed.status === "rejected") {
        await repo.store.remove([dataName(record.name, id)]).catch(() => {});
        // redis-cli's own message (auth, connection) says more than the empty stream it caused.
        throw cliExit.status === "rejected" ? cliExit.reason : (sealed as PromiseRejectedResult).reason;
      }
      const meta: RedisSnapshot = {
        id,
        addon: record.name,
        takenAt: now(),
        bytes: sealed.value,
        keyFingerprint: fingerprint,
      };
      await writeJson(repo, metaName(record.name, id), meta);
      return meta;
    },

    /** Removes these snapshots (their data and meta files); unknown ids are no-ops. */
    async remove(record: Pick<AddonRecord, "name">, repository: BackupRepository, ids: readonly string[]) {
      const repo = openRepo(repository.dir, repository.s3);
      // The data first: a meta file without its data would list a snapshot that cannot be restored.
      await repo.store.remove(ids.map((id) => dataName(record.name, id)));
      await repo.store.remove(ids.map((id) => metaName(record.name, id)));
    },

    /** The add-on's snapshots, oldest first. */
    async list(record: Pick<AddonRecord, "name">, repository: BackupRepository): Promise<RedisSnapshot[]> {
      return listSnapshots(openRepo(repository.dir, repository.s3), record.name);
    },

    /**
     * Restores a snapshot (the newest when `id` is absent) into a new instance on a new data
     * directory and port; the live instance is never touched. The RDB is decrypted into the new
     * directory, loaded at start, then removed: the restored server holds it in memory only
     * (and writes an append-only file if the spec asks for persistence).
     */
    async restore(
      spec: RedisAddon,
      live: AddonRecord,
      repository: BackupRepository,
      req: { id?: string; dataDir: string; port: number },
    ): Promise<RedisRestoreResult> {
      tools();
      const repo = openRepo(repository.dir, repository.s3);
      checkKey(repository.key);
      const all = await listSnapshots(repo, live.name);
      const snap = req.id ? all.find((s) => s.id === req.id) : all.at(-1);
      if (!snap)
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `redis add-on "${live.name}" has no snapshot${req.id ? ` ${req.id}` : ""} in ${repo.store.where}`,
          `snapshots: ${all.map((s) => s.id).join(", ") || "none yet"}`,
        );
      checkKey(repository.key, snap.keyFingerprint);
      const record: AddonRecord = { ...live, dataDir: resolve(req.dataDir), port: req.port };
      assertSeparate(live, record);
      await assertPortFree(req.port, "choose another port for the restored instance");

      const runAs = addonUser();
      const driver = redisDriver(opts);
      const rdb = join(record.dataDir, "dump.rdb");
      prepareDataDir(record, runAs);
      try {
        await unsealDecompressed(
          runAs,
          repo,
          repository.key,
          dataName(live.name, snap.id),
          dataAad(live.name, snap.id),
          rdb,
        );
        // Loaded from the RDB with the append-only file off (with it on, Redis would start from
        // an empty AOF instead); turned on afterwards, which writes the AOF from memory.
        const { pid } = await driver.ensure({ ...spec, persistence: false }, record);
        rmSync(rdb, { force: true });
        const replies = await redisCommands(record.port, [
          ["AUTH", record.password],
          ["DBSIZE"],
          ...(spec.persistence ? [["CONFIG", "SET", "appendonly", "yes"]] : []),
        ]);
        return { record, pid, snapshot: snap.id, keys: Number(replies[1]) };
      } catch (e) {
        await driver.stop(record).catch(() => {});
        rmSync(record.dataDir, { recursive: true, force: true });
        throw e;
      }
    },
  };
}

export type RedisSnapshots = ReturnType<typeof redisSnapshots>;

async function listSnapshots(repo: Repo, addon: string): Promise<RedisSnapshot[]> {
  const names = (await repo.store.list(prefix(addon))).filter((n) => n.endsWith(".json")).sort();
  const texts = await Promise.all(names.map((n) => repo.store.readText(n)));
  return texts.flatMap((t) => (t === undefined ? [] : [JSON.parse(t) as RedisSnapshot]));
}

/**
 * The key must be the repository's: the postgres add-on's when the repository is shared
 * (repository.json), else the one this add-on's earlier snapshots were sealed with.
 */
async function checkRepositoryKey(repo: Repo, repository: BackupRepository, addon: string): Promise<string> {
  const expected =
    (await readRepoConfig(repo))?.keyFingerprint ?? (await listSnapshots(repo, addon)).at(-1)?.keyFingerprint;
  return checkKey(repository.key, expected);
}
