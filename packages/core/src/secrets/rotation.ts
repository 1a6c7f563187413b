/** How often a secret must change, and how long the previous value stays published after it does. */
export interface RotationPolicy {
  maxAgeDays: number;
  /** Services receive NAME_PREVIOUS for this long after a rotation. */
  overlapHours: number;
}

/** Seed defaults: JWT signing keys quarterly, database passwords semi-annually. */
export const DEFAULT_POLICIES = {
  jwt: { maxAgeDays: 90, overlapHours: 24 },
  database: { maxAgeDays: 180, overlapHours: 1 },
} as const satisfies Record<string, RotationPolicy>;

export interface SecretVersionMeta {
  version: number;
  createdAt: number;
}

export type RotationStatus =
  | { state: "ok"; dueAt: number }
  | { state: "due-soon"; dueAt: number }
  | { state: "overdue"; dueAt: number; overdueDays: number }
  | { state: "no-policy" };

const DAY = 86_400_000;
/** A week's notice before a rotation is due. */
const NOTICE_MS = 7 * DAY;

/** Where a secret stands against its policy, from its current version's age. */
export function rotationStatus(
  current: SecretVersionMeta,
  policy: RotationPolicy | undefined,
  now: number,
): RotationStatus {
  if (!policy) return { state: "no-policy" };
  const dueAt = current.createdAt + policy.maxAgeDays * DAY;
  if (now >= dueAt) return { state: "overdue", dueAt, overdueDays: Math.floor((now - dueAt) / DAY) };
  return now >= dueAt - NOTICE_MS ? { state: "due-soon", dueAt } : { state: "ok", dueAt };
}

/**
 * Which versions services receive now (dual-publish): the current one as NAME and, during the
 * overlap after a rotation, the one before it as NAME_PREVIOUS, so tokens signed with the old
 * value keep verifying until they expire. `withdrawAt` says when to restart services without
 * the previous value (undefined: nothing to withdraw).
 */
export function publishedVersions(
  versions: readonly SecretVersionMeta[],
  policy: Pick<RotationPolicy, "overlapHours"> | undefined,
  now: number,
): { current: number; previous?: number; withdrawAt?: number } | undefined {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  const [current, previous] = sorted;
  if (!current) return undefined;
  const overlapMs = (policy?.overlapHours ?? 0) * 3_600_000;
  const withdrawAt = current.createdAt + overlapMs;
  if (previous && now < withdrawAt)
    return { current: current.version, previous: previous.version, withdrawAt };
  return { current: current.version };
}
