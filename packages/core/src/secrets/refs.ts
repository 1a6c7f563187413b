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
    if (!ref.services.includes(service) || ref.version === 0) continue;
    out.push({ envName: name, name, version: ref.version });
    if (ref.previous !== undefined)
      out.push({ envName: `${name}${PREVIOUS_SUFFIX}`, name, version: ref.previous });
  }
  return out;
}
