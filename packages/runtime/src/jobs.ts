import type { IncomingMessage } from "node:http";
import { send } from "./transport";

export interface JobsOptions {
  /** Where this worker reports its jobs. @default process.env.SLIPWAY_JOBS_URL */
  url?: string;
  /** The worker's token for it (it opens nothing else). @default process.env.SLIPWAY_JOBS_TOKEN */
  token?: string;
  /** The control plane's certificate fingerprint, pinned over HTTPS. @default process.env.SLIPWAY_API_FINGERPRINT */
  fingerprint?: string;
  /** Longest a job's outcome waits before it is sent. @default 1000 */
  flushMs?: number;
  /** A batch this big is sent at once. @default 200 */
  maxBatch?: number;
  /** Outcomes kept while the control plane is away; past it the oldest are dropped (and counted). @default 10000 */
  maxPending?: number;
  /** Longest one report may take. @default 5000 */
  timeoutMs?: number;
  /** Told about each failed report (the outcomes are kept and sent with the next one). @default silent */
  onError?: (error: Error) => void;
}

export interface JobsClient {
  /** A job finished well after `ms` milliseconds. */
  completed(ms: number): void;
  /** A job (one attempt) failed after `ms` milliseconds. */
  failed(ms: number): void;
  /** Runs the job, times it and reports how it ended; its result or error is the job's, untouched. */
  track<T>(job: () => T | Promise<T>): Promise<T>;
  /** Sends what is waiting now (at shutdown); never rejects. */
  flush(): Promise<void>;
  /** Outcomes waiting to be sent, and outcomes dropped because the control plane stayed away too long. */
  readonly pending: number;
  readonly dropped: number;
  /** Stops the timer after one last flush. */
  close(): Promise<void>;
}

/**
 * Reports a worker's job outcomes to the control plane, which judges a canary's workers on
 * them against the stable revision's. Outcomes are batched (a report a second at most, or one
 * per `maxBatch` jobs) and sent in the background: recording never blocks or throws, and a
 * control plane that is away only delays the report. Without a URL (not started by Slipway)
 * nothing is kept or sent.
 * @example const j = jobs(); worker.process((job) => j.track(() => handle(job)));
 */
export function jobs(options: JobsOptions = {}): JobsClient {
  const url = options.url ?? process.env.SLIPWAY_JOBS_URL;
  const token = options.token ?? process.env.SLIPWAY_JOBS_TOKEN;
  const fingerprint = options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT;
  const flushMs = options.flushMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 200;
  const maxPending = options.maxPending ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let waiting: { ok: boolean; ms: number }[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;

  const report = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = [];
    if (!batch.length || !url) return;
    const body = {
      completed: batch.filter((o) => o.ok).map((o) => o.ms),
      failed: batch.filter((o) => !o.ok).map((o) => o.ms),
    };
    try {
      const res = await send(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        ...(fingerprint ? { fingerprint } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = await text(res);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300)
        throw new Error(`job report to ${url} answered ${status}: ${answer}`);
    } catch (e) {
      // Kept for the next report, oldest dropped first past the bound.
      waiting = [...batch, ...waiting];
      const over = waiting.length - maxPending;
      if (over > 0) {
        waiting = waiting.slice(over);
        dropped += over;
      }
      options.onError?.(e instanceof Error ? e : new Error(String(e)));
      schedule();
    }
  };
  /** One report at a time; a flush asked for while one is in flight runs after it. */
  const flush = (): Promise<void> => {
    sending = (sending ?? Promise.resolve()).then(report);
    return sending;
  };
  const schedule = () => {
    if (!timer && waiting.length) timer = setTimeout(() => void flush(), flushMs).unref();
  };
  const record = (ok: boolean, ms: number) => {
    if (!url) return;
    waiting.push({ ok, ms: Number.isFinite(ms) && ms >= 0 ? ms : 0 });
    if (waiting.length >= maxBatch) void flush();
    else schedule();
  };

  return {
    completed: (ms) => record(true, ms),
    failed: (ms) => record(false, ms),
    async track(job) {
      const start = performance.now();
      try {
        const result = await job();
        record(true, performance.now() - start);
        return result;
      } catch (e) {
        record(false, performance.now() - start);
        throw e;
      }
    },
    flush,
    get pending() {
      return waiting.length;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      await flush();
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

async function text(res: IncomingMessage): Promise<string> {
  let out = "";
  for await (const chunk of res) out += chunk;
  return out;
}
