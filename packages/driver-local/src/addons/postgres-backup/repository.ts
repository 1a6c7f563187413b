import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { type BaseBackup, SlipwayError } from "@slipway/core";
import type { RunAs } from "../../system/service-user";
import { localStore } from "./store-local";
import { type S3Location, s3Store } from "./store-s3";

/**
 * A backup repository, one per add-on. The sealed files (compressed, encrypted) live in a
 * store, a local directory or an S3-compatible bucket, under these names:
 *
 *     repository.json        which cluster, WAL segment size, key fingerprint
 *     wal/<segment>.zst.enc  sealed WAL: zstd, then AES-256-GCM
 *     base/<id>/meta.json    a base backup's positions, times and verification
 *     base/<id>/base.tar.zst.enc
 *     redis/<id>.rdb.zst.enc a Redis snapshot (see redis-snapshot.ts)
 *
 * What is only ever local sits in the repository's directory whichever the store:
 *
 *     incoming/              pg_receivewal's directory (the add-on user's): the segment being
 *                            streamed (`.partial`) and completed ones not sealed yet
 *     staging/               sealed files being written, before the store takes them
 *     receiver.pid, receiver.log, scratch-*
 *
 * Root owns everything but `incoming/` and scratch (0711 on the top so the add-on user can
 * reach its own directories, and list nothing else).
 */
export function repoPaths(dir: string) {
  return {
    dir,
    incoming: join(dir, "incoming"),
    staging: join(dir, "staging"),
    receiverPid: join(dir, "receiver.pid"),
    receiverLog: join(dir, "receiver.log"),
    scratch: (purpose: string) => join(dir, `scratch-${purpose}`),
  };
}
export type RepoPaths = ReturnType<typeof repoPaths>;

/**
 * Where sealed files are kept. Every write is whole or absent (a local rename, one S3 PUT),
 * so a crash never leaves half a file under a name the engine reads.
 */
export interface SealedStore {
  /** For messages: a directory, or s3://bucket/prefix. */
  readonly where: string;
  /** The names under a prefix ("wal/", "base/"), any order. */
  list(prefix: string): Promise<string[]>;
  /** Undefined when there is no such file. */
  read(name: string): Promise<Readable | undefined>;
  readText(name: string): Promise<string | undefined>;
  /** Takes a finished local file (in staging/) in under `name`; the local file is gone after. */
  put(name: string, file: string): Promise<void>;
  putText(name: string, text: string): Promise<void>;
  remove(names: readonly string[]): Promise<void>;
}

/** The repository as the engine sees it: local working directories and the store. */
export interface Repo {
  paths: RepoPaths;
  store: SealedStore;
}

/** Local by default; with `s3`, the sealed files go to that bucket and only working files stay in `dir`. */
export function openRepo(dir: string, s3?: S3Location): Repo {
  return { paths: repoPaths(dir), store: s3 ? s3Store(s3) : localStore(dir) };
}

export interface RepoConfig {
  version: 1;
  /** pg_control's system identifier: one repository never mixes two clusters' WAL. */
  systemIdentifier: string;
  walSegmentSize: number;
  keyFingerprint: string;
}

/** What meta.json records about one base backup. */
export interface BackupMeta extends BaseBackup {
  timeline: number;
  /** Size of the stored (compressed, encrypted) file. */
  bytes: number;
  keyFingerprint: string;
  /** Why verification failed, when it did. */
  verifyError?: string;
}

export const CONFIG = "repository.json";

export function prepareRepo(paths: RepoPaths, runAs: RunAs | undefined): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  chmodSync(paths.dir, runAs ? 0o711 : 0o700);
  mkdirSync(paths.staging, { recursive: true, mode: 0o700 });
  ownedDir(paths.incoming, runAs);
}

/** A directory the add-on user writes in (its own, 0700), created if absent. */
export function ownedDir(dir: string, runAs: RunAs | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}

export async function readRepoConfig(repo: Repo): Promise<RepoConfig | undefined> {
  const text = await repo.store.readText(CONFIG);
  return text === undefined ? undefined : (JSON.parse(text) as RepoConfig);
}

export async function requireRepoConfig(repo: Repo): Promise<RepoConfig> {
  const config = await readRepoConfig(repo);
  if (!config)
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      `${repo.store.where} is not a backup repository (no ${CONFIG})`,
      "enable protection on the add-on first",
    );
  return config;
}

export function writeJson(repo: Repo, name: string, value: unknown): Promise<void> {
  return repo.store.putText(name, `${JSON.stringify(value, null, 2)}\n`);
}

/** Every base backup that has a meta.json, oldest first. */
export async function listBackups(repo: Repo): Promise<BackupMeta[]> {
  const metas = (await repo.store.list("base/")).filter((n) => /^base\/[^/]+\/meta\.json$/.test(n)).sort();
  const texts = await Promise.all(metas.map((n) => repo.store.readText(n)));
  return texts.flatMap((text) => (text === undefined ? [] : [JSON.parse(text) as BackupMeta]));
}

/** Where a stored file is, for messages: its path, or its s3:// URL. */
export const locate = (repo: Repo, name: string) => `${repo.store.where.replace(/\/?$/, "/")}${name}`;

export const backupMetaName = (id: string) => `base/${id}/meta.json`;
export const backupName = (id: string) => `base/${id}/base.tar.zst.enc`;
/** The name bound into the file's encryption (see encryption.ts). */
export const backupAad = (id: string) => `base/${id}/base.tar.zst`;

export async function removeBackup(repo: Repo, id: string): Promise<void> {
  await repo.store.remove(await repo.store.list(`base/${id}/`));
}
