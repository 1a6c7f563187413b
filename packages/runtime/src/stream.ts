import { SseParser } from "./sse";
import { send } from "./transport";

export interface StreamOptions {
  url: string | undefined;
  token: string | undefined;
  /** The control plane's certificate fingerprint to pin over HTTPS (see transport.ts). */
  fingerprint: string | undefined;
  /** The SSE event name whose data (JSON) is handed to `onData`. */
  event: string;
  onData: (data: unknown) => void;
  /** Reconnect delays: doubled after each failure up to `maxMs`, reset by `resetBackoff`. */
  backoff: { initialMs: number; maxMs: number };
  /** No byte (not even the 15 s heartbeat) for this long: the connection is dead, reconnect. */
  idleMs: number;
  onError?: (error: Error) => void;
}

/**
 * Follows one control-plane stream (flags, secrets) until closed: reconnects with jittered
 * backoff, treats a silent connection as dead. Error messages name the URL and status only,
 * never what the stream carried.
 */
export function followStream(o: StreamOptions) {
  let connected = false;
  let closed = false;
  let delay = o.backoff.initialMs;
  let aborter: AbortController | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (closed || !o.url) return;
    aborter = new AbortController();
    const ac = aborter;
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () => ac.abort(new Error(`no data from ${o.url} for ${o.idleMs} ms`)),
        o.idleMs,
      ).unref();
    };
    try {
      touch();
      const res = await send(o.url, {
        headers: { accept: "text/event-stream", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}),
        signal: ac.signal,
      });
      if (res.statusCode !== 200)
        throw new Error(`${o.event} stream answered ${res.statusCode}: ${await textOf(res)}`);
      connected = true;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res) {
        touch();
        for (const e of parser.push(decoder.decode(chunk as Uint8Array, { stream: true })))
          if (e.event === o.event) o.onData(JSON.parse(e.data));
      }
      throw new Error(`${o.event} stream ended`);
    } catch (e) {
      if (!closed) o.onError?.(e instanceof Error ? e : new Error(String(e)));
    } finally {
      clearTimeout(idle);
      connected = false;
    }
    if (closed) return;
    // Jittered, so a restarted control plane is not hit by every service at the same instant.
    retry = setTimeout(() => void connect(), delay * (0.8 + Math.random() * 0.4)).unref();
    delay = Math.min(delay * 2, o.backoff.maxMs);
  };
  void connect();

  return {
    get connected() {
      return connected;
    },
    /** A good message arrived: the next failure starts the backoff again from the beginning. */
    resetBackoff() {
      delay = o.backoff.initialMs;
    },
    close() {
      closed = true;
      clearTimeout(retry);
      aborter?.abort();
    },
  };
}

async function textOf(res: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
