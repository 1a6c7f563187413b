import { createHash } from "node:crypto";

/** A flag's state in an environment, as the control plane sends it. */
export interface FlagState {
  on: boolean;
  /** 0–100; absent: everyone (once on). */
  percent?: number;
  allow?: string[];
}

export type FlagReason = "off" | "allow-list" | "in-rollout" | "outside-rollout" | "no-key" | "on";

/**
 * The answer for one key, decided here in the service without a round trip. It must agree
 * with the control plane's `evaluateFlag` (a test checks both over many keys): a user in a
 * 10% rollout is in it whichever side asks.
 */
export function evaluate(
  name: string,
  state: FlagState,
  key?: string,
): { value: boolean; reason: FlagReason } {
  if (!state.on) return { value: false, reason: "off" };
  if (key !== undefined && state.allow?.includes(key)) return { value: true, reason: "allow-list" };
  if (state.percent === undefined || state.percent >= 100) return { value: true, reason: "on" };
  if (key === undefined) return { value: false, reason: "no-key" };
  return bucket(name, key) < state.percent * 100
    ? { value: true, reason: "in-rollout" }
    : { value: false, reason: "outside-rollout" };
}

/** 0–9999, uniform over keys, stable per (flag, key): sticky as the percentage grows. */
export function bucket(name: string, key: string): number {
  return createHash("sha256").update(`${name}\0${key}`).digest().readUInt32BE(0) % 10_000;
}
