import { createHmac } from "node:crypto";

/**
 * A secret derived from the record's password for one purpose. Services get derived secrets,
 * never the password itself, so a service cannot turn its credentials into the admin's
 * (HMAC cannot be inverted). Deterministic, so `connectionEnv` stays pure and nothing new
 * has to be stored.
 */
export function derivedSecret(password: string, purpose: string): string {
  return createHmac("sha256", password).update(`slipway:${purpose}`).digest("base64url");
}
