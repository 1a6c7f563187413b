import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { SlipwayError } from "../errors";

/**
 * Wraps and unwraps data keys: the master key never leaves its provider (a key file, an
 * environment variable, or a KMS behind the same two calls).
 */
export interface KeyProvider {
  /** Names the master key a data key was wrapped with, so a rotated master key still opens old versions. */
  readonly keyId: string;
  wrap(dataKey: Buffer, context: string): Promise<string>;
  unwrap(wrapped: string, keyId: string, context: string): Promise<Buffer>;
}

/** One sealed secret version as it is stored: nothing here reveals the value without the master key. */
export interface SealedSecret {
  /** The value under its own data key: "v1.<iv>.<tag>.<ciphertext>" (base64url). */
  ciphertext: string;
  /** The data key under the master key. */
  wrappedKey: string;
  keyId: string;
}

/**
 * Envelope encryption of one secret version: a fresh 256-bit data key encrypts the value
 * (AES-256-GCM), and the master key wraps the data key. `context` (environment, name and
 * version) is bound as associated data at both layers, so a sealed value copied onto another
 * secret or version does not open.
 */
export async function sealSecret(value: string, context: string, keys: KeyProvider): Promise<SealedSecret> {
  const dataKey = randomBytes(32);
  try {
    return {
      ciphertext: gcmSeal(dataKey, Buffer.from(value, "utf8"), context),
      wrappedKey: await keys.wrap(dataKey, context),
      keyId: keys.keyId,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** @throws SlipwayError SLW_SECRET_UNREADABLE when the master key is not the one it was sealed with, or the bytes were changed. */
export async function openSecret(sealed: SealedSecret, context: string, keys: KeyProvider): Promise<string> {
  const dataKey = await keys.unwrap(sealed.wrappedKey, sealed.keyId, context);
  try {
    return gcmOpen(dataKey, sealed.ciphertext, context).toString("utf8");
  } finally {
    dataKey.fill(0);
  }
}

/** AES-256-GCM with a random 96-bit IV; `aad` authenticated, not encrypted. */
export function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return [
    "v1",
    iv.toString("base64url"),
    c.getAuthTag().toString("base64url"),
    body.toString("base64url"),
  ].join(".");
}

export function gcmOpen(key: Buffer, sealed: string, aad: string): Buffer {
  const [v, iv, tag, body] = sealed.split(".");
  if (v !== "v1" || !iv || !tag || body === undefined)
    throw new SlipwayError("SLW_SECRET_UNREADABLE", `the sealed value for ${aad} is malformed`);
  try {
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"))
      .setAAD(Buffer.from(aad, "utf8"))
      .setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([d.update(Buffer.from(body, "base64url")), d.final()]);
  } catch {
    throw new SlipwayError(
      "SLW_SECRET_UNREADABLE",
      `the sealed value for ${aad} does not open: wrong master key, or the stored bytes were changed`,
      "use the master key it was sealed with (SLIPWAY_MASTER_KEY or .slipway/master.key); if the bytes were tampered with, set the secret again",
    );
  }
}

/** A master key held in memory (from a key file or an environment variable), identified by its fingerprint. */
export function staticKeyProvider(masterKey: Buffer, keyId: string): KeyProvider {
  if (masterKey.length !== 32)
    throw new SlipwayError(
      "SLW_SECRET_UNREADABLE",
      `the master key ${keyId} is ${masterKey.length} bytes, not 32`,
    );
  return {
    keyId,
    wrap: async (dataKey, context) => gcmSeal(masterKey, dataKey, `key:${context}`),
    unwrap: async (wrapped, id, context) => {
      if (id !== keyId)
        throw new SlipwayError(
          "SLW_SECRET_UNREADABLE",
          `${context} was sealed under master key ${id}; this control plane has ${keyId}`,
          "provide the master key it was sealed with",
        );
      return gcmOpen(masterKey, wrapped, `key:${context}`);
    },
  };
}
