import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type KeyProvider, SlipwayError, staticKeyProvider } from "@slipway/core";

/**
 * The secret store's master key: `SLIPWAY_MASTER_KEY` (base64, 32 bytes) when set, else the
 * project's key file (`.slipway/master.key`, made by SecretBox on first start). Its id is a
 * fingerprint, so a version sealed under another key says so instead of failing obscurely.
 * Another provider (a KMS) plugs in behind the same KeyProvider interface.
 */
export function masterKeyProvider(keyFile: string, fromEnv = process.env.SLIPWAY_MASTER_KEY): KeyProvider {
  const where = fromEnv !== undefined ? "SLIPWAY_MASTER_KEY" : keyFile;
  const key = Buffer.from((fromEnv ?? readFileSync(keyFile, "utf8")).trim(), "base64");
  if (key.length !== 32)
    throw new SlipwayError(
      "SLW_SECRET_UNREADABLE",
      `${where} does not hold a 32-byte key in base64 (it decodes to ${key.length} bytes)`,
      "give 32 random bytes in base64, e.g. `openssl rand -base64 32`, or unset SLIPWAY_MASTER_KEY to use .slipway/master.key",
    );
  const keyId = `sha256:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
  return staticKeyProvider(key, keyId);
}
