import { randomBytes } from "node:crypto";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { checkKey, decryptStream, encryptStream, keyFingerprint } from "./encryption";

const key = randomBytes(32);

async function through(input: Buffer, step: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  step.on("data", (c: Buffer) => out.push(c));
  // Small chunks, so the header and the tag arrive split across writes.
  const chunks = Array.from({ length: Math.ceil(input.length / 7) }, (_, i) =>
    input.subarray(i * 7, i * 7 + 7),
  );
  await pipeline(Readable.from(chunks), step);
  return Buffer.concat(out);
}

describe("backup file encryption", () => {
  const plain = randomBytes(10_000);

  it("round-trips, and the stored bytes are not the plaintext", async () => {
    const sealed = await through(plain, encryptStream(key, "wal/X"));
    expect(sealed.includes(plain.subarray(0, 64))).toBe(false);
    expect((await through(sealed, decryptStream(key, "wal/X", "f"))).equals(plain)).toBe(true);
    const empty = await through(Buffer.alloc(0), encryptStream(key, "e"));
    expect((await through(empty, decryptStream(key, "e", "f"))).length).toBe(0);
  });

  it("refuses a changed byte, a truncated file, another file's name and another key", async () => {
    const sealed = await through(plain, encryptStream(key, "wal/X"));
    const flipped = Buffer.from(sealed);
    flipped[5_000]! ^= 1;
    await expect(through(flipped, decryptStream(key, "wal/X", "f"))).rejects.toThrow(/tag does not match/);
    await expect(through(sealed.subarray(0, 9_000), decryptStream(key, "wal/X", "f"))).rejects.toThrow(
      /tag does not match/,
    );
    await expect(through(sealed, decryptStream(key, "wal/Y", "f"))).rejects.toThrow(/tag does not match/);
    await expect(through(sealed, decryptStream(randomBytes(32), "wal/X", "f"))).rejects.toThrow(/SLW|tag/);
    await expect(
      through(
        Buffer.from("not ours at all, not a backup file of any kind"),
        decryptStream(key, "wal/X", "f"),
      ),
    ).rejects.toThrow(/not a Slipway backup file/);
  });

  it("names a missing, short or wrong key before anything is read", () => {
    expect(() => checkKey(undefined, "abc")).toThrow(/encryptionKey is missing.*abc/);
    expect(() => checkKey(Buffer.alloc(16))).toThrow(/32 bytes.*got 16/);
    expect(() => checkKey(randomBytes(32), keyFingerprint(key))).toThrow(/not the key/);
    expect(checkKey(key, keyFingerprint(key))).toBe(keyFingerprint(key));
  });
});
