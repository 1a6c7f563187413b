import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../errors";
import { openSecret, sealSecret, staticKeyProvider } from "./envelope";

const keys = staticKeyProvider(randomBytes(32), "k1");

describe("envelope encryption", () => {
  it("opens what it sealed, for any value, and the sealed form never contains the value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 4 }), async (value) => {
        const sealed = await sealSecret(value, "prod/JWT_SECRET@v1", keys);
        expect(JSON.stringify(sealed)).not.toContain(value);
        expect(await openSecret(sealed, "prod/JWT_SECRET@v1", keys)).toBe(value);
      }),
      { numRuns: 50 },
    );
  });

  it("uses a fresh data key per version: the same value seals differently", async () => {
    const a = await sealSecret("s3cret-value", "prod/X@v1", keys);
    const b = await sealSecret("s3cret-value", "prod/X@v1", keys);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
  });

  it("detects tampering, a sealed value moved to another secret, and a wrong master key", async () => {
    const sealed = await sealSecret("s3cret-value", "prod/X@v1", keys);
    const flipped = sealed.ciphertext.slice(0, -2) + (sealed.ciphertext.endsWith("A") ? "BB" : "AA");
    const attempts = [
      openSecret({ ...sealed, ciphertext: flipped }, "prod/X@v1", keys),
      openSecret(sealed, "staging/X@v1", keys),
      openSecret(sealed, "prod/X@v1", staticKeyProvider(randomBytes(32), "k1")),
      openSecret(sealed, "prod/X@v1", staticKeyProvider(randomBytes(32), "k2")),
    ];
    for (const attempt of attempts) {
      const e = await attempt.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isSlipwayError(e) && e.code).toBe("SLW_SECRET_UNREADABLE");
      expect(String((e as Error).message)).not.toContain("s3cret-value");
    }
  });
});
