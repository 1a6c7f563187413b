import { createHash } from "node:crypto";

/**
 * A flag's state in one environment. `on: false` turns it off for everyone (a kill switch's
 * safe state); when on, `allow` lists keys that always get it, and `percent` rolls it out to
 * that share of the other keys, sticky: a key's bucket comes from a hash of the flag and the
 * key, so the same user keeps the same answer as the percentage grows.
 */
export interface FlagState {
  on: boolean;
  /** 0–100; absent: everyone (once on). */
  percent?: number;
  allow?: string[];
}

export type FlagReason = "off" | "allow-list" | "in-rollout" | "outside-rollout" | "no-key" | "on";

/** The answer for one key (a user id, a tenant), and why. */
export function evaluateFlag(
  name: string,
  state: FlagState,
  key?: string,
): { value: boolean; reason: FlagReason } {
  if (!state.on) return { value: false, reason: "off" };
  if (key !== undefined && state.allow?.includes(key)) return { value: true, reason: "allow-list" };
  if (state.percent === undefined || state.percent >= 100) return { value: true, reason: "on" };
  // Without a key there is nothing to be sticky on: the rollout's users are the keyed ones.
  if (key === undefined) return { value: false, reason: "no-key" };
  return bucketOf(name, key) < state.percent * 100
    ? { value: true, reason: "in-rollout" }
    : { value: false, reason: "outside-rollout" };
}

/** 0–9999, uniform over keys, stable per (flag, key). */
export function bucketOf(name: string, key: string): number {
  return createHash("sha256").update(`${name}\0${key}`).digest().readUInt32BE(0) % 10_000;
}
