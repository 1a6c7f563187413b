import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";

/**
 * Seals small secrets (add-on passwords) in the store with AES-256-GCM under a key kept
 * in `.slipway/master.key` (0600), so a copy of the database alone reveals nothing.
 * The id of what is sealed is bound as associated data: a sealed value moved to another
 * row does not open.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static open(keyFile: string): SecretBox {
    if (!existsSync(keyFile))
      // Atomic: a crash mid-write must not leave a torn key that locks every sealed value away.
      writeFileAtomic(keyFile, randomBytes(32).toString("base64"), 0o600);
    const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64");
    if (key.length !== 32)
      throw new SlipwayError(
        "SLW_STATE_CORRUPT",
        `${keyFile} does not hold a 32-byte key`,
        "restore it from a backup; without it sealed add-on passwords cannot be read",
      );
    return new SecretBox(key);
  }

  /** A secret for one purpose (the store's password), recomputed from the key at each start. */
  derive(purpose: string): string {
    return createHmac("sha256", this.key).update(`slipway:${purpose}`).digest("base64url");
  }

  seal(plaintext: string, id: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv).setAAD(Buffer.from(id));
    const body = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
    return ["v1", iv, c.getAuthTag(), body]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(sealed: string, id: string): string {
    const [v, iv, tag, body] = sealed.split(".");
    if (v !== "v1" || !iv || !tag || body === undefined)
      throw new SlipwayError("SLW_STATE_CORRUPT", `sealed value for ${id} is malformed`);
    const d = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"))
      .setAAD(Buffer.from(id))
      .setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([d.update(Buffer.from(body, "base64url")), d.final()]).toString("utf8");
    } catch {
      throw new SlipwayError(
        "SLW_STATE_CORRUPT",
        `sealed value for ${id} does not open with this master key (.slipway/master.key)`,
        "restore .slipway/master.key from a backup: it is not the key this value was sealed with",
      );
    }
  }
}
