import { randomBytes } from "node:crypto";

/**
 * What a release freezes of one declared secret: which sealed versions its services receive,
 * never a value. A rotation makes a release whose ref names the new version and, until
 * `withdrawAt`, the previous one (published as NAME_PREVIOUS).
 */
export interface SecretRef {
  /** Services that receive it at process start. */
  services: string[];
  /** The version published as NAME; 0 until the deploy pins it. */
  version: number;
  /** During a rotation's overlap: the version published as NAME_PREVIOUS. */
  previous?: number;
  /** When (ms since epoch) a release without NAME_PREVIOUS replaces this one. */
  withdrawAt?: number;
  /** Rotation policy; absent: never overdue. */
  maxAgeDays?: number;
  overlapHours: number;
  /** How Slipway makes a value when none was set (deploy) or none is given (rotate). */
  generate?: SecretGenerator;
  /**
   * The postgres add-on whose services' login password this is: not published as NAME; its
   * versions become the add-on's DATABASE_URL credentials (version 0: the add-on's own login).
   */
  addon?: string;
  /** false: services follow it through the runtime SDK's stream; a rotation restarts nothing. */
  restart?: false;
}

export interface SecretGenerator {
  bytes: number;
  format: "base64url" | "hex";
}

export const PREVIOUS_SUFFIX = "_PREVIOUS";

/** A fresh random value in the declared format. */
export function generateSecret(g: SecretGenerator): string {
  return randomBytes(g.bytes).toString(g.format);
}

/** The secrets (name and version) one service of a release receives, under their env names. */
export function secretVersionsFor(
  refs: Record<string, SecretRef> | undefined,
  service: string,
): { envName: string; name: string; version: number }[] {
  const out: { envName: string; name: string; version: number }[] = [];
  for (const [name, ref] of Object.entries(refs ?? {})) {
    if (!ref.services.includes(service) || ref.version === 0 || ref.addon) continue;
    out.push({ envName: name, name, version: ref.version });
    if (ref.previous !== undefined)
      out.push({ envName: `${name}${PREVIOUS_SUFFIX}`, name, version: ref.previous });
  }
  return out;
}

/** The add-on login a release publishes for `addon`, if a rotated one: its secret's name and version. */
export function addonLoginRef(
  refs: Record<string, SecretRef> | undefined,
  addon: string,
): { name: string; version: number; previous?: number; withdrawAt?: number } | undefined {
  for (const [name, ref] of Object.entries(refs ?? {}))
    if (ref.addon === addon && ref.version > 0)
      return { name, version: ref.version, previous: ref.previous, withdrawAt: ref.withdrawAt };
  return undefined;
}

/**
 * The secret refs of a rollback to `target`: its declarations with the versions the live
 * release publishes. A rollback restores code and config, not credentials: an older password
 * may have been withdrawn in the database, an older signing key replaced on purpose.
 */
export function rollbackSecretRefs(
  target: Record<string, SecretRef> | undefined,
  live: Record<string, SecretRef> | undefined,
): Record<string, SecretRef> | undefined {
  if (!target) return undefined;
  const out: Record<string, SecretRef> = {};
  for (const [name, ref] of Object.entries(target)) {
    const now = live?.[name];
    const { previous: _p, withdrawAt: _w, ...declared } = ref;
    out[name] = now
      ? {
          ...declared,
          version: now.version,
          ...(now.previous !== undefined ? { previous: now.previous, withdrawAt: now.withdrawAt } : {}),
        }
      : ref;
  }
  return out;
}
