/** One base backup as its repository describes it; times are epoch milliseconds. */
export interface BaseBackup {
  id: string;
  /** WAL position where replay must start (the backup's checkpoint). */
  startLsn: string;
  /** The backup is consistent once replay has passed this position. */
  endLsn: string;
  startedAt: number;
  /** When pg_basebackup returned: every commit after this is after the consistency point. */
  endedAt: number;
  /** pg_verifybackup passed on the stored (encrypted, compressed) file. */
  verified: boolean;
}

/** The times a restore can reach: any instant from `earliest` to `latest`, both included. */
export interface RecoverableWindow {
  earliest: number;
  latest: number;
}

/** What to restore to: a point in time, or everything the repository holds. */
export type RestoreTarget = { kind: "latest" } | { kind: "time"; at: number };
