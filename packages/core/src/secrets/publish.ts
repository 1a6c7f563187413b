import type { SecretRef } from "./refs";
import { rotationStatus, type SecretVersionMeta } from "./rotation";

const HOUR = 3_600_000;

export interface SecretRefsPlan {
  refs: Record<string, SecretRef>;
  /** What changed, per secret, for the release's description and the events. */
  changes: { name: string; message: string }[];
}

/**
 * The secret refs a release should carry now, from the ones it carries and each secret's
 * newest version. A newer version is published as NAME with the one it replaces kept as
 * NAME_PREVIOUS until its overlap ends (dual-publish); a previous version whose overlap has
 * ended is withdrawn. Undefined when the refs are already right: nothing to restart. An add-on
 * login's previous version is withdrawn in the database instead (services never received it as
 * an env var), so it stays in the refs: the reconciler withdraws it once `withdrawAt` passes.
 */
export function planSecretRefs(
  refs: Record<string, SecretRef>,
  newest: Record<string, SecretVersionMeta | undefined>,
  now: number,
): SecretRefsPlan | undefined {
  const next: Record<string, SecretRef> = {};
  const changes: { name: string; message: string }[] = [];
  for (const [name, ref] of Object.entries(refs)) {
    const latest = newest[name];
    const { previous: _p, withdrawAt: _w, ...base } = ref;
    // Followed live through the runtime SDK: the next deploy pins the newest version.
    if (ref.restart === false && ref.version > 0) next[name] = ref;
    else if (latest && latest.version > ref.version) {
      const withdrawAt = latest.createdAt + ref.overlapHours * HOUR;
      // An add-on login always keeps its previous version until the reconciler withdraws it:
      // the live services log in with it until they have restarted (version 0 included).
      const overlap = ref.addon !== undefined || (ref.version > 0 && now < withdrawAt);
      next[name] = {
        ...base,
        version: latest.version,
        ...(overlap ? { previous: ref.version, withdrawAt } : {}),
      };
      changes.push({
        name,
        message: overlap
          ? `${name} v${latest.version} published (v${ref.version} stays ${ref.addon ? `valid for ${ref.addon}` : `as ${name}_PREVIOUS`} until ${new Date(withdrawAt).toISOString()}${ref.addon ? " and the services moved" : ""})`
          : `${name} v${latest.version} published`,
      });
    } else if (ref.previous !== undefined && (ref.withdrawAt ?? 0) <= now && !ref.addon) {
      next[name] = base;
      changes.push({ name, message: `${name}_PREVIOUS (v${ref.previous}) withdrawn` });
    } else next[name] = ref;
  }
  return changes.length ? { refs: next, changes } : undefined;
}

/** When the next withdrawal is due, if any: the reconciler looks again then. */
export function nextWithdrawal(refs: Record<string, SecretRef> | undefined): number | undefined {
  const due = Object.values(refs ?? {}).flatMap((r) => (r.withdrawAt !== undefined ? [r.withdrawAt] : []));
  return due.length ? Math.min(...due) : undefined;
}

/** Secrets of a release whose newest version is older than their policy allows. */
export function overdueSecrets(
  refs: Record<string, SecretRef> | undefined,
  newest: Record<string, SecretVersionMeta | undefined>,
  now: number,
): { name: string; version: number; overdueDays: number; dueAt: number }[] {
  const out: { name: string; version: number; overdueDays: number; dueAt: number }[] = [];
  for (const [name, ref] of Object.entries(refs ?? {})) {
    const latest = newest[name];
    if (!latest || ref.maxAgeDays === undefined) continue;
    const s = rotationStatus(latest, { maxAgeDays: ref.maxAgeDays, overlapHours: ref.overlapHours }, now);
    if (s.state === "overdue")
      out.push({ name, version: latest.version, overdueDays: s.overdueDays, dueAt: s.dueAt });
  }
  return out;
}
