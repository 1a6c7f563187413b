import { evaluate, type FlagReason, type FlagState } from "./evaluate";
import { followStream } from "./stream";

/** One flag as the control plane sends it. */
export interface FlagView {
  state: FlagState;
  default: boolean;
  killSwitch: boolean;
  version: number;
  description?: string;
}

export interface FlagsOptions {
  /** The environment's flag stream. @default process.env.SLIPWAY_FLAGS_URL */
  url?: string;
  /** The runtime token (it can only read flags). @default process.env.SLIPWAY_FLAGS_TOKEN */
  token?: string;
  /**
   * The control plane's certificate fingerprint (`sha256:…`): over HTTPS exactly that
   * certificate is trusted, as a server's self-signed one needs; without it, the system's CAs.
   * @default process.env.SLIPWAY_API_FINGERPRINT, which Slipway sets when its API is HTTPS
   */
  fingerprint?: string;
  /**
   * Values to use before the first snapshot, when nothing newer is known (the spec's
   * defaults). @default JSON of process.env.SLIPWAY_FLAGS_DEFAULTS, which Slipway sets
   */
  defaults?: Record<string, boolean>;
  /** Reconnect delays: doubled after each failure up to `maxMs`, reset by a snapshot. */
  backoff?: { initialMs: number; maxMs: number };
  /** No byte (not even the 15 s heartbeat) for this long: the connection is dead, reconnect. @default 45000 */
  idleMs?: number;
  /** Told about each failed connection (the client keeps retrying). @default silent */
  onError?: (error: Error) => void;
}

export type FlagSource = "stream" | "default";

export interface FlagsClient {
  /** Whether the flag is on for `key` (a user id, a tenant); an unknown flag is its default, else off. */
  isOn(name: string, key?: string): boolean;
  /** The value, why, and where the state came from (the stream, or the default while none is known). */
  evaluate(
    name: string,
    key?: string,
  ): { value: boolean; reason: FlagReason | "default"; source: FlagSource };
  /** Called with the names of the flags whose state changed; returns the unsubscribe. */
  onChange(listener: (changed: string[]) => void): () => void;
  /** Resolves at the first snapshot from the control plane. */
  ready(): Promise<void>;
  /** Whether the stream is connected now (values are the last known ones when not). */
  readonly connected: boolean;
  close(): void;
}

/**
 * A client that follows the environment's flags over server-sent events, keeps the last
 * snapshot in memory and evaluates locally (no request per check). When the control plane
 * is unreachable it keeps answering with the last known state, or the spec's defaults if
 * it never got one, and reconnects with backoff.
 * @example const f = flags(); if (f.isOn("new-checkout", user.id)) …
 */
export function flags(options: FlagsOptions = {}): FlagsClient {
  const url = options.url ?? process.env.SLIPWAY_FLAGS_URL;
  const token = options.token ?? process.env.SLIPWAY_FLAGS_TOKEN;
  const defaults = options.defaults ?? parseDefaults(process.env.SLIPWAY_FLAGS_DEFAULTS);
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const idleMs = options.idleMs ?? 45_000;
  let snapshot: Record<string, FlagView> | undefined;
  const listeners = new Set<(changed: string[]) => void>();
  let markReady!: () => void;
  const readyPromise = new Promise<void>((r) => (markReady = r));

  const apply = (next: Record<string, FlagView>) => {
    const changed = Object.keys({ ...snapshot, ...next }).filter(
      (n) => JSON.stringify(snapshot?.[n]?.state) !== JSON.stringify(next[n]?.state),
    );
    const first = snapshot === undefined;
    snapshot = next;
    stream.resetBackoff();
    if (first) markReady();
    if (changed.length) for (const l of listeners) l(changed);
  };
  const stream = followStream({
    url,
    token,
    fingerprint: options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT,
    event: "flags",
    onData: (d) => apply((d as { flags: Record<string, FlagView> }).flags),
    backoff,
    idleMs,
    ...(options.onError ? { onError: options.onError } : {}),
  });

  const evaluateOne: FlagsClient["evaluate"] = (name, key) => {
    const f = snapshot?.[name];
    if (!f) return { value: defaults[name] ?? false, reason: "default", source: "default" };
    return { ...evaluate(name, f.state, key), source: "stream" };
  };
  return {
    // The hot path: no object for the answer, only the decision.
    isOn(name, key) {
      const f = snapshot?.[name];
      return f ? evaluate(name, f.state, key).value : (defaults[name] ?? false);
    },
    evaluate: evaluateOne,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => readyPromise,
    get connected() {
      return stream.connected;
    },
    close: () => stream.close(),
  };
}

function parseDefaults(raw: string | undefined): Record<string, boolean> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, boolean>) : {};
  } catch {
    return {};
  }
}
