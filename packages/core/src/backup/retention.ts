import type { BaseBackup } from "./types";

/** What a retention pass removes; everything else stays. */
export interface ExpiryPlan {
  /** Base backups to delete. */
  backups: string[];
  /** Archived WAL older than this position is needed by no kept backup; undefined keeps it all. */
  walBefore: string | undefined;
}

/**
 * Keeps every instant of the last `retentionMs` restorable: each verified backup that ended
 * inside the period, plus the newest one that ended before it (replay from that one is what
 * reaches the period's first instants), and always the newest verified backup. Unverified
 * backups are never part of a restore: they go once they are older than the kept chain's
 * oldest. WAL is kept from the oldest kept backup's start; nothing older is ever needed.
 */
export function planExpiry(backups: readonly BaseBackup[], now: number, retentionMs: number): ExpiryPlan {
  const cutoff = now - retentionMs;
  const verified = backups.filter((b) => b.verified).sort((a, b) => b.endedAt - a.endedAt);
  if (verified.length === 0) return { backups: [], walBefore: undefined };
  const anchor = verified.find((b) => b.endedAt <= cutoff);
  const kept = verified.filter((b) => b.endedAt > cutoff || b === anchor || b === verified[0]);
  const oldestKept = kept[kept.length - 1]!;
  const expired = backups.filter((b) => !kept.includes(b) && b.endedAt < oldestKept.endedAt);
  return { backups: expired.map((b) => b.id), walBefore: oldestKept.startLsn };
}
