import type { FlagState } from "./evaluate";

/**
 * What a release freezes of a flag's spec for its environment: its safe default, whether it
 * is a kill switch, and the state it starts in until someone sets it.
 */
export interface FlagDefinition {
  default: boolean;
  killSwitch: boolean;
  description?: string;
  /** The spec's initial state for this environment; absent: `{ on: default }`. */
  initial?: FlagState;
}

/** One flag as services see it: the state to evaluate, and what to fall back to. */
export interface FlagView {
  state: FlagState;
  default: boolean;
  killSwitch: boolean;
  /** 0 until the flag is first set (the state is then the spec's initial one). */
  version: number;
  description?: string;
}

/**
 * The flags of an environment as services evaluate them: every flag the live release
 * defines, at its stored state when someone set it, else at the spec's initial state. A
 * stored flag the release no longer defines is left out (its history stays).
 */
export function flagSnapshot(
  definitions: Record<string, FlagDefinition>,
  stored: { name: string; state: FlagState; version: number }[],
): Record<string, FlagView> {
  const byName = new Map(stored.map((s) => [s.name, s]));
  const out: Record<string, FlagView> = {};
  for (const [name, d] of Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))) {
    const s = byName.get(name);
    out[name] = {
      state: s?.state ?? d.initial ?? { on: d.default },
      default: d.default,
      killSwitch: d.killSwitch,
      version: s?.version ?? 0,
      ...(d.description ? { description: d.description } : {}),
    };
  }
  return out;
}
