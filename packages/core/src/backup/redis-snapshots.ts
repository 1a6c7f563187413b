import type { RestoreTarget } from "./types";

/** How often each `addons.<name>.backup.snapshots` value takes an RDB snapshot. */
export const REDIS_SNAPSHOT_EVERY_MS = { hourly: 3_600_000, daily: 86_400_000 } as const;

/**
 * Whether a redis add-on's next snapshot is due: none taken yet, or the newest is at least one
 * period old. A control plane that was down takes one snapshot when it comes back, not the ones
 * it missed.
 */
export function redisSnapshotDue(
  snapshots: keyof typeof REDIS_SNAPSHOT_EVERY_MS,
  lastTakenAt: number | undefined,
  now: number,
): boolean {
  return lastTakenAt === undefined || now - lastTakenAt >= REDIS_SNAPSHOT_EVERY_MS[snapshots];
}

/** What retention and restore need of a snapshot; times are epoch milliseconds. */
export interface SnapshotTime {
  id: string;
  takenAt: number;
}

/**
 * The snapshots retention removes: those taken before the period began, except the newest
 * snapshot of all (a cache that was restorable stays restorable, however long ago it was taken).
 */
export function expiredRedisSnapshots(
  snapshots: readonly SnapshotTime[],
  now: number,
  retentionMs: number,
): string[] {
  const newest = [...snapshots].sort((a, b) => b.takenAt - a.takenAt)[0];
  return snapshots.filter((s) => s !== newest && s.takenAt < now - retentionMs).map((s) => s.id);
}

/**
 * The snapshot a restore to `target` loads: the newest taken at or before it (`latest`: the
 * newest). Undefined when there is none; a snapshot is a single instant, there is no replay.
 */
export function redisSnapshotFor<T extends SnapshotTime>(
  snapshots: readonly T[],
  target: RestoreTarget,
): T | undefined {
  const sorted = [...snapshots].sort((a, b) => a.takenAt - b.takenAt);
  return target.kind === "latest" ? sorted.at(-1) : sorted.filter((s) => s.takenAt <= target.at).at(-1);
}
