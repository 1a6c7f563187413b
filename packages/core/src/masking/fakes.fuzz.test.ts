import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fakeValue, LONGEST_FAKE } from "./fakes";
import type { FakeRule } from "./rules";

const RULES: FakeRule[] = ["email", "name", "phone", "text"];
const secret = fc.uint8Array({ minLength: 32, maxLength: 32 });
const phone = fc
  .tuple(
    fc.constantFrom("", "+", "+1 ", "00"),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 15 }),
  )
  .map(([prefix, digits]) => prefix + digits.join("").replace(/(\d{3})(?=\d)/g, "$1-"));
/** Realistic-looking values of each kind, plus anything at all. */
const input: Record<FakeRule, fc.Arbitrary<string>> = {
  email: fc.oneof(fc.emailAddress(), fc.string()),
  name: fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom("Ana Lima", "José Núñez", "李雷")),
  phone: fc.oneof(phone, fc.string()),
  text: fc.string({ unit: "grapheme", maxLength: 200 }),
};

describe.each(RULES)("%s fakes", (rule) => {
  it("are deterministic: the same input and secret (another copy of each) give the same fake", () => {
    fc.assert(
      fc.property(
        secret,
        input[rule],
        (key, v) => fakeValue(rule, v, key) === fakeValue(rule, v.slice(), Uint8Array.from(key)),
      ),
    );
  });

  it("keep uniqueness: distinct inputs give distinct fakes", () => {
    fc.assert(
      fc.property(secret, fc.uniqueArray(input[rule], { minLength: 2, maxLength: 60 }), (key, values) => {
        const fakes = values.map((v) => fakeValue(rule, v, key));
        expect(new Set(fakes).size).toBe(values.length);
      }),
    );
  });

  it("never return the input", () => {
    fc.assert(fc.property(secret, input[rule], (key, v) => fakeValue(rule, v, key) !== v));
  });

  it("depend on the secret, so two copies cannot be matched up", () => {
    fc.assert(
      fc.property(secret, secret, input[rule], (a, b, v) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        // A one-digit phone has only 10 fakes, so two secrets may agree on one by chance.
        fc.pre(rule !== "phone" || v.replace(/\D/g, "").length > 6);
        return fakeValue(rule, v, a) !== fakeValue(rule, v, b);
      }),
    );
  });
});

describe("phone fakes", () => {
  const key = new Uint8Array(32).fill(7);

  it("keep the shape: same length, same punctuation, digits where digits were", () => {
    fc.assert(
      fc.property(secret, phone, (k, v) => {
        const fake = fakeValue("phone", v, k);
        expect(fake.length).toBe(v.length);
        expect(fake.replace(/\d/g, "9")).toBe(v.replace(/\d/g, "9"));
      }),
    );
  });

  it("are a derangement of every 3-digit string: all 1000 distinct, none fixed", () => {
    const all = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
    const fakes = all.map((v) => fakeValue("phone", v, key));
    expect(new Set(fakes).size).toBe(1000);
    expect(fakes.filter((f, i) => f === all[i])).toEqual([]);
  });

  it("give a value without digits a tag no phone with digits can get", () => {
    expect(fakeValue("phone", "n/a", key)).toMatch(/^phone-[a-z]{26}$/);
  });
});

describe("email fakes", () => {
  it("are addresses in the reserved .invalid domain, so no mail can reach anyone", () => {
    fc.assert(
      fc.property(secret, fc.emailAddress(), (k, v) =>
        /^user-[a-z2-7]{26}@example\.invalid$/.test(fakeValue("email", v, k)),
      ),
    );
  });
});

describe("LONGEST_FAKE", () => {
  it("bounds every fake, so a column's length check is right", () => {
    fc.assert(
      fc.property(secret, fc.constantFrom("email", "name", "text" as const), fc.string(), (k, rule, v) => {
        expect(fakeValue(rule, v, k).length).toBeLessThanOrEqual(LONGEST_FAKE[rule]);
      }),
    );
  });
});
