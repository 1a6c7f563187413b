import type { RecoverableWindow, RestoreTarget } from "../backup/types";
import type { RedisConfig } from "../release/config";
import type { AddonRecord } from "./addons";

/**
 * Where one add-on's backups live and the key they are encrypted with. The control plane
 * derives the key from its master key and never logs it; the driver only checks it.
 */
export interface BackupRepo {
  /**
   * The repository's place on the target (a directory for the local driver). With `bucket`,
   * only working files (the WAL being streamed, staging) stay there.
   */
  location: string;
  /** 32 bytes (AES-256-GCM). */
  key: Uint8Array;
  /** Keep the sealed files (base backups, WAL, snapshots, metadata) in this bucket instead. */
  bucket?: BackupBucket;
}

/** An S3-compatible bucket holding a repository; files are encrypted before they are sent. */
export interface BackupBucket {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** This repository's key prefix inside the bucket. */
  prefix: string;
  /** Path-style addressing (s3rver, MinIO); virtual-host style when false. */
  forcePathStyle: boolean;
}

/** One RDB snapshot of a redis add-on; `takenAt` is epoch milliseconds. */
export interface RedisSnapshotInfo {
  id: string;
  takenAt: number;
  /** Size as stored (compressed, encrypted). */
  bytes: number;
}

/** A redis add-on restored from a snapshot into an instance of its own. */
export interface RestoredRedis {
  record: AddonRecord;
  snapshot: string;
  /** Keys the restored instance holds. */
  keys: number;
}

/** One base backup as the repository describes it; times are epoch milliseconds. */
export interface BackupInfo {
  id: string;
  startedAt: number;
  endedAt: number;
  /** Size as stored (compressed, encrypted). */
  bytes: number;
  /** Verified from the stored file right after it was taken; never restored from otherwise. */
  verified: boolean;
  verifyError?: string;
}

export interface BackupInventory {
  backups: BackupInfo[];
  /** Undefined until a base backup has been verified. */
  window: RecoverableWindow | undefined;
  /** The WAL is being streamed into the repository now. */
  streaming: boolean;
  walSegments: number;
}

/** A restored copy of an add-on: its own directory and port, the live one's roles and passwords. */
export interface RestoredInstance {
  record: AddonRecord;
  baseBackup: string;
  /** The last transaction replayed, if any was after the base backup. */
  lastCommitAt: number | undefined;
  /** Start of the restore until the copy accepted writes. */
  rtoMs: number;
}

/** What a look inside a restored copy found: the newest heartbeat and each verification query's outcome. */
export interface InstanceCheck {
  /** Newest `slipway.slipway_heartbeat` row over the databases; undefined when none is there. */
  newestHeartbeatAt: number | undefined;
  queries: { database: string; sql: string; ok: boolean; error?: string }[];
}

/**
 * Continuous protection and point-in-time restore of postgres add-ons. The driver does the
 * I/O; the control plane decides when (schedule, retention, drills: `@slipway/core` backup/).
 */
export interface BackupsPort {
  /** Keeps the WAL streaming into the repository (idempotent, cheap when it already is); `started`: it was not. */
  protect(record: AddonRecord, repo: BackupRepo): Promise<{ started: boolean }>;
  /** Stops streaming into the repository (the add-on is being replaced); its backups stay. */
  unprotect(repo: BackupRepo): Promise<void>;
  /** Compresses and encrypts the WAL segments completed since the last call; returns how many. */
  sealWal(record: AddonRecord, repo: BackupRepo): Promise<number>;
  /** Takes a base backup and verifies the stored file; SLW_BACKUP_CORRUPT when it does not verify. */
  createBase(record: AddonRecord, repo: BackupRepo): Promise<BackupInfo>;
  list(record: AddonRecord, repo: BackupRepo): Promise<BackupInventory>;
  /**
   * Restores into `into` (a new directory and a free port), never touching the live instance;
   * SLW_RESTORE_OUT_OF_WINDOW for a target outside the window, SLW_BACKUP_KEY for a wrong key.
   */
  restore(
    record: AddonRecord,
    repo: BackupRepo,
    req: { target: RestoreTarget; into: { dataDir: string; port: number } },
  ): Promise<RestoredInstance>;
  /** Removes the backups and WAL that retention no longer needs (planExpiry). */
  expire(
    record: AddonRecord,
    repo: BackupRepo,
    retentionMs: number,
    now: number,
  ): Promise<{ removedBackups: string[]; removedWalSegments: number }>;
  /** Commits one heartbeat row (time `at`) into each database, as the databases' owner role. */
  heartbeat(record: AddonRecord, databases: readonly string[], at: number): Promise<void>;
  /** Reads the newest heartbeat and runs the verification queries in a (restored) instance. */
  check(
    instance: AddonRecord,
    databases: readonly string[],
    queries: readonly string[],
  ): Promise<InstanceCheck>;
  /** Stops a restored instance and removes its directory (a drill's scratch copy). */
  discard(instance: AddonRecord): Promise<void>;
  /** Takes an RDB snapshot of a running redis add-on into the repository (compressed, encrypted). */
  snapshotRedis(record: AddonRecord, repo: BackupRepo): Promise<RedisSnapshotInfo>;
  /** The redis add-on's snapshots, oldest first; none (not an error) when none was taken. */
  listRedis(record: AddonRecord, repo: BackupRepo): Promise<RedisSnapshotInfo[]>;
  /**
   * Loads snapshot `id` into a new instance (`into`: a new directory and a free port), never
   * touching the live one; SLW_NOT_FOUND for an unknown id, SLW_BACKUP_KEY for a wrong key.
   */
  restoreRedis(
    config: RedisConfig,
    record: AddonRecord,
    repo: BackupRepo,
    req: { id: string; into: { dataDir: string; port: number } },
  ): Promise<RestoredRedis>;
  /** Removes these snapshots (retention decides which: expiredRedisSnapshots). */
  removeRedis(record: AddonRecord, repo: BackupRepo, ids: readonly string[]): Promise<void>;
  /** Lets go of connections it keeps (heartbeats); the control plane exits. */
  detach(): Promise<void>;
}
