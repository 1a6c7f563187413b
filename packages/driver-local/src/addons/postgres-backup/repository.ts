import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type BaseBackup, SlipwayError } from "@slipway/core";
import { readFileNoFollow, writeFileAtomic } from "@slipway/files";
import type { RunAs } from "../../system/service-user";

/**
 * A backup repository on local disk, one per postgres add-on:
 *
 *     repository.json        which cluster, WAL segment size, key fingerprint
 *     incoming/              pg_receivewal's directory (the add-on user's): the segment being
 *                            streamed (`.partial`) and completed ones not sealed yet
 *     wal/<segment>.zst.enc  sealed WAL: zstd, then AES-256-GCM
 *     base/<id>/meta.json    a base backup's positions, times and verification
 *     base/<id>/base.tar.zst.enc
 *
 * Root owns everything but `incoming/` (0711 on the top so the add-on user can reach its own
 * directory and the verification scratch space, and list nothing else).
 */
export function repoPaths(dir: string) {
  return {
    dir,
    config: join(dir, "repository.json"),
    incoming: join(dir, "incoming"),
    wal: join(dir, "wal"),
    base: join(dir, "base"),
    receiverPid: join(dir, "receiver.pid"),
    receiverLog: join(dir, "receiver.log"),
    scratch: (purpose: string) => join(dir, `scratch-${purpose}`),
  };
}
export type RepoPaths = ReturnType<typeof repoPaths>;

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

export function prepareRepo(paths: RepoPaths, runAs: RunAs | undefined): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  chmodSync(paths.dir, runAs ? 0o711 : 0o700);
  for (const d of [paths.wal, paths.base]) mkdirSync(d, { recursive: true, mode: 0o700 });
  ownedDir(paths.incoming, runAs);
}

/** A directory the add-on user writes in (its own, 0700), created if absent. */
export function ownedDir(dir: string, runAs: RunAs | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}

export function readRepoConfig(paths: RepoPaths): RepoConfig | undefined {
  const text = readFileNoFollow(paths.config);
  return text === undefined ? undefined : (JSON.parse(text) as RepoConfig);
}

export function requireRepoConfig(paths: RepoPaths): RepoConfig {
  const config = readRepoConfig(paths);
  if (!config)
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      `${paths.dir} is not a backup repository (no repository.json)`,
      "enable protection on the add-on first",
    );
  return config;
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, 0o600);
}

/** Every base backup that has a meta.json, oldest first. */
export function listBackups(paths: RepoPaths): BackupMeta[] {
  if (!existsSync(paths.base)) return [];
  return readdirSync(paths.base)
    .sort()
    .flatMap((id) => {
      const text = readFileNoFollow(join(paths.base, id, "meta.json"));
      return text === undefined ? [] : [JSON.parse(text) as BackupMeta];
    });
}

export const backupFile = (paths: RepoPaths, id: string) => join(paths.base, id, "base.tar.zst.enc");
/** The name bound into the file's encryption (see encryption.ts). */
export const backupAad = (id: string) => `base/${id}/base.tar.zst`;

export function removeBackup(paths: RepoPaths, id: string): void {
  rmSync(join(paths.base, id), { recursive: true, force: true });
}
