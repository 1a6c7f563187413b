import { followStream } from "./stream";

/** One secret as the control plane's stream sends it to a service. */
export interface SecretView {
  version: number;
  value: string;
  /** During a rotation's overlap: the value it replaced, still to be accepted. */
  previous?: { version: number; value: string };
}

export interface SecretsOptions {
  /** The service's secret stream. @default process.env.SLIPWAY_SECRETS_URL */
  url?: string;
  /** The service's runtime token for it. @default process.env.SLIPWAY_SECRETS_TOKEN */
  token?: string;
  /**
   * The control plane's certificate fingerprint (`sha256:…`): over HTTPS exactly that
   * certificate is trusted, as a server's self-signed one needs; without it, the system's CAs.
   * @default process.env.SLIPWAY_API_FINGERPRINT, which Slipway sets when its API is HTTPS
   */
  fingerprint?: string;
  backoff?: { initialMs: number; maxMs: number };
  /** @default 45000 */
  idleMs?: number;
  /** Told about each failed connection (never about a value). @default silent */
  onError?: (error: Error) => void;
}

export interface SecretsClient {
  /**
   * The secret's current value and, during a rotation's overlap, the previous one; before
   * the first message (or without a control plane), what the process was started with
   * (NAME, NAME_PREVIOUS). Undefined when it has no value at all.
   */
  secret(name: string): { value: string; previous?: string } | undefined;
  /** Called with the names of the secrets whose value changed (never the values); returns the unsubscribe. */
  onChange(listener: (changed: string[]) => void): () => void;
  ready(): Promise<void>;
  readonly connected: boolean;
  close(): void;
}

/**
 * Follows the service's secrets over server-sent events, so a rotation reaches a running
 * process without a restart (secrets declared with `restart: false` are never restarted for).
 * Values are kept in memory only and never logged.
 * @example const s = secrets(); verify(token, s.secret("JWT_SECRET")?.value, s.secret("JWT_SECRET")?.previous)
 */
export function secrets(options: SecretsOptions = {}): SecretsClient {
  let current: Record<string, SecretView> | undefined;
  const listeners = new Set<(changed: string[]) => void>();
  let markReady!: () => void;
  const readyPromise = new Promise<void>((r) => (markReady = r));

  const apply = (next: Record<string, SecretView>) => {
    const changed = Object.keys({ ...current, ...next }).filter(
      (n) =>
        current?.[n]?.version !== next[n]?.version ||
        current?.[n]?.previous?.version !== next[n]?.previous?.version,
    );
    const first = current === undefined;
    current = next;
    stream.resetBackoff();
    if (first) markReady();
    if (changed.length) for (const l of listeners) l(changed);
  };
  const stream = followStream({
    url: options.url ?? process.env.SLIPWAY_SECRETS_URL,
    token: options.token ?? process.env.SLIPWAY_SECRETS_TOKEN,
    fingerprint: options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT,
    event: "secrets",
    onData: (d) => apply((d as { secrets: Record<string, SecretView> }).secrets),
    backoff: options.backoff ?? { initialMs: 250, maxMs: 10_000 },
    idleMs: options.idleMs ?? 45_000,
    ...(options.onError ? { onError: options.onError } : {}),
  });

  return {
    secret(name) {
      const s = current?.[name];
      if (s) return { value: s.value, ...(s.previous ? { previous: s.previous.value } : {}) };
      const value = process.env[name];
      if (value === undefined) return undefined;
      const previous = process.env[`${name}_PREVIOUS`];
      return { value, ...(previous !== undefined ? { previous } : {}) };
    },
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
