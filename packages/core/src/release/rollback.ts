export interface ReleaseRef {
  id: string;
  number: number;
  rollbackOf: string | null;
}

export type RollbackTarget = { ok: true; release: ReleaseRef } | { ok: false; reason: string };

/**
 * Which release `slipway rollback [--to vN]` goes back to: the one named, or else the
 * release that was live before the current one (skipping releases that never went live).
 */
export function pickRollbackTarget(
  releases: ReleaseRef[],
  liveId: string | null,
  wentLive: ReadonlySet<string>,
  to?: number,
): RollbackTarget {
  if (!liveId) return { ok: false, reason: "nothing is live yet, so there is nothing to roll back from" };
  if (to !== undefined) {
    const named = releases.find((r) => r.number === to);
    if (!named) return { ok: false, reason: `there is no release v${to}` };
    if (named.id === liveId) return { ok: false, reason: `v${to} is already live` };
    return { ok: true, release: named };
  }
  const live = releases.find((r) => r.id === liveId);
  const earlier = releases
    .filter((r) => live && r.number < live.number && wentLive.has(r.id) && r.id !== liveId)
    .sort((a, b) => b.number - a.number);
  return earlier[0]
    ? { ok: true, release: earlier[0] }
    : { ok: false, reason: "no earlier release has been live; deploy one first" };
}
