import { createHmac } from "node:crypto";
import type { FakeRule } from "./rules";

/**
 * Deterministic fakes keyed by a per-copy secret (HMAC-SHA256), so that:
 * - the same input gives the same fake everywhere in one copy (a foreign key, or an email
 *   repeated in another table, still matches);
 * - distinct inputs give distinct fakes (unique constraints hold): phones through a keyed
 *   permutation of their digits, which is exact; the rest through 100+ bits of the HMAC, where a
 *   collision is as likely as one of a 100-bit hash (about 2^-40 at a billion rows);
 * - nothing of the input can be recovered without the secret, and a new secret per copy means
 *   two copies cannot be matched up.
 * The rule name is mixed into the HMAC, so a value masked as `name` and as `text` differ.
 */
export function fakeValue(rule: FakeRule, value: string, secret: Uint8Array): string {
  switch (rule) {
    case "email":
      return `user-${token(secret, rule, value, 26)}@example.invalid`;
    case "name":
      return fakeName(secret, value);
    case "phone":
      return fakePhone(secret, value);
    case "text":
      return `masked text ${token(secret, rule, value, 26)}`;
  }
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function hmac(secret: Uint8Array, ...parts: string[]): Buffer {
  // A NUL between parts keeps ("a", "bc") and ("ab", "c") apart.
  return createHmac("sha256", secret).update(parts.join("\0")).digest();
}

/** `length` characters of the HMAC in `alphabet` (5 bits each for base32). */
function token(secret: Uint8Array, rule: string, value: string, length: number, alphabet = BASE32): string {
  const bytes = hmac(secret, rule, value);
  let n = BigInt(`0x${bytes.toString("hex")}`);
  const base = BigInt(alphabet.length);
  let out = "";
  for (let i = 0; i < length; i++) {
    out += alphabet[Number(n % base)];
    n /= base;
  }
  return out;
}

const FIRST = ["Alex", "Sam", "Robin", "Kim", "Jordan", "Casey", "Morgan", "Avery", "Quinn", "Riley"];
const LAST = [
  "Smith",
  "Garcia",
  "Okafor",
  "Nguyen",
  "Novak",
  "Silva",
  "Larsen",
  "Haddad",
  "Kowalski",
  "Tanaka",
];

const longest = (words: string[]) => Math.max(...words.map((w) => w.length));

/** The longest fake of each rule that writes text of its own (a phone fake keeps its input's length). */
export const LONGEST_FAKE = {
  email: "user-@example.invalid".length + 26,
  name: longest(FIRST) + 1 + longest(LAST) + 1 + 20,
  text: "masked text ".length + 26,
};

/** Reads as a name; the tag (100 bits) is what keeps distinct names distinct. */
function fakeName(secret: Uint8Array, value: string): string {
  const h = hmac(secret, "name-parts", value);
  return `${FIRST[h[0]! % FIRST.length]} ${LAST[h[1]! % LAST.length]} ${token(secret, "name", value, 20)}`;
}

/**
 * Keeps every non-digit character (so "+1 (555) 010-2030" stays shaped like that) and replaces
 * the digits by a keyed derangement of all digit strings of that length: a bijection with no
 * fixed point, so distinct phones stay distinct and no phone maps to itself. A value without
 * digits becomes a letters-only tag, which no value with digits can become.
 */
function fakePhone(secret: Uint8Array, value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length === 0) return `phone-${token(secret, "phone", value, 26, LETTERS)}`;
  const n = digits.length;
  const size = 10n ** BigInt(n);
  // P⁻¹(P(x) + 1): conjugating the cycle x → x+1 by a keyed permutation P gives one cycle
  // through every n-digit string, so nothing is fixed.
  const masked = feistel(secret, n, (feistel(secret, n, BigInt(digits), 1) + 1n) % size, -1);
  const out = masked.toString().padStart(n, "0");
  let i = 0;
  return value.replace(/\d/g, () => out[i++]!);
}

const ROUNDS = 8;

/**
 * A keyed permutation of [0, 10^n) (direction 1) or its inverse (-1): an unbalanced Feistel
 * network on the high and low halves of the number, each round adding an HMAC of the other half
 * modulo that half's size, which is invertible by subtracting it again.
 */
function feistel(secret: Uint8Array, n: number, x: bigint, direction: 1 | -1): bigint {
  const lowDigits = Math.floor(n / 2);
  const lowSize = 10n ** BigInt(lowDigits);
  const highSize = 10n ** BigInt(n - lowDigits);
  let high = x / lowSize;
  let low = x % lowSize;
  const round = (i: number, other: bigint, size: bigint) =>
    BigInt(`0x${hmac(secret, "phone-round", String(n), String(i), other.toString()).toString("hex")}`) % size;
  const step = BigInt(direction);
  const order = [...Array(ROUNDS).keys()];
  for (const i of direction === 1 ? order : order.reverse()) {
    if (i % 2 === 0) high = mod(high + step * round(i, low, highSize), highSize);
    else low = mod(low + step * round(i, high, lowSize), lowSize);
  }
  return high * lowSize + low;
}

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
