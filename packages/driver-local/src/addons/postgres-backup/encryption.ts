import { createCipheriv, createDecipheriv, createHmac, type DecipherGCM, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { SlipwayError } from "@slipway/core";

/**
 * Every stored backup file is AES-256-GCM: `SLWBAK1\n`, a 12-byte random nonce, the ciphertext,
 * and the 16-byte tag. The file's name inside the repository is the additional authenticated
 * data, so a segment renamed into another's place fails its check like a changed byte does.
 * One GCM stream authenticates up to 64 GiB, far above a WAL segment (16 MB) or the base
 * backups Slipway's local driver is for.
 */
const MAGIC = Buffer.from("SLWBAK1\n");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + NONCE_BYTES;

/** Caller-supplied key: exactly 32 bytes (AES-256). */
export type BackupKey = Buffer;

/**
 * A fingerprint of the key, stored beside the backups, so a wrong key is named before a byte is
 * written (an HMAC: it reveals nothing about the key).
 */
export function keyFingerprint(key: BackupKey): string {
  return createHmac("sha256", key).update("slipway-backup-key-id").digest("hex").slice(0, 16);
}

/** Refuses a missing or malformed key, naming the field; returns its fingerprint. */
export function checkKey(key: BackupKey | undefined, expected?: string): string {
  if (!key)
    throw new SlipwayError(
      "SLW_BACKUP_KEY",
      `encryptionKey is missing: the backups are encrypted${expected ? ` with the key whose fingerprint is ${expected}` : ""}`,
      "pass the 32-byte key the backups were made with",
      { field: "encryptionKey", expected },
    );
  if (key.length !== 32)
    throw new SlipwayError(
      "SLW_BACKUP_KEY",
      `encryptionKey must be 32 bytes (AES-256), got ${key.length}`,
      "generate one with: head -c 32 /dev/urandom > backup.key   and keep it off this machine too",
      { field: "encryptionKey" },
    );
  const got = keyFingerprint(key);
  if (expected && got !== expected)
    throw new SlipwayError(
      "SLW_BACKUP_KEY",
      `encryptionKey is not the key these backups were encrypted with (fingerprint ${got}, backups ${expected})`,
      "pass the key whose fingerprint is the one the backups name; nothing was written",
      { field: "encryptionKey", expected, got },
    );
  return got;
}

/** Encrypts what flows through it; `name` is the file's name in the repository. */
export function encryptStream(key: BackupKey, name: string): Transform {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(Buffer.from(name));
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, nonce]));
      }
      done(null, cipher.update(chunk));
    },
    flush(done) {
      if (!started) this.push(Buffer.concat([MAGIC, nonce]));
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

/**
 * Decrypts a stream written by encryptStream. The tag is checked at the end, so a consumer must
 * treat what it got as unusable until the stream finishes without error: restores write into a
 * new directory that is removed on failure.
 */
export function decryptStream(key: BackupKey, name: string, file: string): Transform {
  return new DecryptTransform(key, name, file);
}

class DecryptTransform extends Transform {
  private header = Buffer.alloc(0);
  private decipher: DecipherGCM | undefined;
  /** The last TAG_BYTES seen so far: the tag, if the stream ends here. */
  private held = Buffer.alloc(0);

  constructor(
    private readonly key: BackupKey,
    private readonly name: string,
    private readonly file: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.decipher) {
      done(null, this.decrypt(chunk));
      return;
    }
    this.header = Buffer.concat([this.header, chunk]);
    if (this.header.length < HEADER_BYTES) {
      done();
    } else if (!this.header.subarray(0, MAGIC.length).equals(MAGIC)) {
      done(corrupt(this.file, "it is not a Slipway backup file"));
    } else {
      const nonce = this.header.subarray(MAGIC.length, HEADER_BYTES);
      this.decipher = createDecipheriv("aes-256-gcm", this.key, nonce).setAAD(Buffer.from(this.name));
      done(null, this.decrypt(this.header.subarray(HEADER_BYTES)));
    }
  }

  /** Everything but the last TAG_BYTES seen, which may be the tag. */
  private decrypt(data: Buffer): Buffer {
    const all = Buffer.concat([this.held, data]);
    const cut = Math.max(0, all.length - TAG_BYTES);
    this.held = all.subarray(cut);
    return this.decipher!.update(all.subarray(0, cut));
  }

  override _flush(done: TransformCallback): void {
    if (!this.decipher || this.held.length < TAG_BYTES) {
      done(corrupt(this.file, "it is truncated"));
      return;
    }
    try {
      this.decipher.setAuthTag(this.held);
      done(null, this.decipher.final());
    } catch {
      done(corrupt(this.file, "its AES-GCM tag does not match: the file was changed or truncated"));
    }
  }
}

export function corrupt(file: string, why: string): SlipwayError {
  return new SlipwayError(
    "SLW_BACKUP_CORRUPT",
    `backup file ${file} failed verification: ${why}`,
    "take a new base backup; restores use the newest verified one",
    {
      file,
    },
  );
}
