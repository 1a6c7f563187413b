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
