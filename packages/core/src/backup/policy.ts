/**
 * An environment's backup policy, frozen into each release. Defaults are the seeds': daily
 * base backups with continuous WAL, 35 days of retention, a monthly restore drill, RPO ≤ 5 min
 * and RTO ≤ 1 h.
 */
export interface BackupPolicy {
  /** Protect the environment's postgres add-ons at all. @default true */
  enabled: boolean;
  /** @default 24 */
  baseBackupEveryHours: number;
  /** Every instant of this many days stays restorable. @default 35 */
  retentionDays: number;
  /** @default 30 */
  drillEveryDays: number;
  /** A drill that loses more than this many seconds of writes raises an alert. @default 300 */
  rpoTargetSeconds: number;
  /** A drill whose restore takes longer than this raises an alert. @default 3600 */
  rtoTargetSeconds: number;
  /** SQL run in the restored copy by each drill (in the add-on's first database); each must succeed. */
  verify: string[];
  /** Where the environment's backups are kept; absent: a local directory (or the add-on's `backup.bucket`). */
  repository?: BackupRepositorySpec;
}

/**
 * A bucket as the backup repository. Without `endpoint`, `bucket` names a bucket add-on of the
 * stack (its connection is used); with it, an external S3-compatible service, whose
 * credentials are the values of two declared Slipway secrets (never in the spec).
 */
export interface BackupRepositorySpec {
  bucket: string;
  endpoint?: string;
  region?: string;
  /** Key prefix the environment's repositories go under. @default "slipway-backups" */
  prefix?: string;
  /** Names of the secrets holding the access key id and the secret access key. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = {
  enabled: true,
  baseBackupEveryHours: 24,
  retentionDays: 35,
  drillEveryDays: 30,
  rpoTargetSeconds: 300,
  rtoTargetSeconds: 3600,
  verify: [],
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What the store says happened last to one add-on's backups (epoch ms). */
export interface BackupHistory {
  /** The last base backup that succeeded. */
  lastBaseAt: number | undefined;
  /** The first base backup that succeeded: drills are scheduled from it until one has run. */
  firstBaseAt: number | undefined;
  lastDrillAt: number | undefined;
  /** When the add-on was last switched onto a restored copy: base backups before it belong to the old instance. */
  switchedAt?: number | undefined;
}

export interface BackupWork {
  base: boolean;
  drill: boolean;
}

/**
 * What a reconcile should do now: a base backup when none was taken yet or the last one is
 * older than the period; a drill a period after the last one (the first, a period after the
 * first base backup, so a new environment is not restored the moment it is protected).
 */
export function dueBackupWork(policy: BackupPolicy, history: BackupHistory, now: number): BackupWork {
  if (!policy.enabled) return { base: false, drill: false };
  const ownBase = (at: number | undefined) =>
    at !== undefined && (history.switchedAt === undefined || at >= history.switchedAt) ? at : undefined;
  const lastBaseAt = ownBase(history.lastBaseAt);
  const base = lastBaseAt === undefined || now - lastBaseAt >= policy.baseBackupEveryHours * HOUR;
  const drillFrom = history.lastDrillAt ?? history.firstBaseAt;
  const drill = drillFrom !== undefined && now - drillFrom >= policy.drillEveryDays * DAY;
  return { base, drill };
}

export const retentionMs = (policy: BackupPolicy) => policy.retentionDays * DAY;

/** A drill's measurements against the policy's targets. */
export function judgeDrill(
  policy: BackupPolicy,
  measured: { rpoMs: number | undefined; rtoMs: number },
): { overRpo: boolean; overRto: boolean } {
  return {
    // No heartbeat at all in the copy: every write since protection began could be lost.
    overRpo: measured.rpoMs === undefined || measured.rpoMs > policy.rpoTargetSeconds * 1000,
    overRto: measured.rtoMs > policy.rtoTargetSeconds * 1000,
  };
}
