import { pickRollbackTarget, type ReleaseRef } from "../release/rollback";

/** A release and the add-on instances it uses (null: made before they were recorded). */
export interface ReleaseInstances extends ReleaseRef {
  addonInstances: Record<string, { dataDir: string }> | null;
}

/** The releases that use the instance in `dataDir` of `addon`, newest first. */
export function releasesUsing<R extends ReleaseInstances>(
  releases: readonly R[],
  addon: string,
  dataDir: string,
): R[] {
  return releases
    .filter((r) => r.addonInstances?.[addon]?.dataDir === dataDir)
    .sort((a, b) => b.number - a.number);
}

/**
 * Why a restored copy may not be dropped, or undefined when it may: a release that is kept
 * uses it. Kept are the live release, the one a rollout in progress moves to, and the one a
 * plain `slipway rollback` would go back to. Older releases may still use it; a rollback to
 * one of them is refused once the copy is gone (see `droppedInstanceRefusal`).
 */
export function dropRefusal(
  users: readonly ReleaseInstances[],
  all: readonly ReleaseInstances[],
  liveId: string | null,
  wentLive: ReadonlySet<string>,
  rollingTo: readonly string[],
): string | undefined {
  const back = pickRollbackTarget([...all], liveId, wentLive);
  const why = (r: ReleaseInstances) =>
    r.id === liveId
      ? `v${r.number} is live on it`
      : rollingTo.includes(r.id)
        ? `a rollout to v${r.number} is in progress`
        : back.ok && back.release.id === r.id
          ? `v${r.number} is what \`slipway rollback\` goes back to`
          : undefined;
  const reasons = users.map(why).filter((w): w is string => !!w);
  return reasons.length ? reasons.join("; ") : undefined;
}
