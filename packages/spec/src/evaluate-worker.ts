import { Worker } from "node:worker_threads";

/** What evaluating a spec in the worker came to. */
export type Evaluation =
  | { kind: "value"; value: unknown }
  | { kind: "threw"; error: unknown }
  | { kind: "timeout" }
  | { kind: "exited"; code: number };

const ENTRY = new URL("./spec-worker.mjs", import.meta.url);
/** Kept this long after a load, so reloading in a row (a deploy, a watcher) reuses it. */
const IDLE_MS = 30_000;
/** A spec that builds a huge object ends its worker, not the control plane. */
const HEAP_MB = 512;

let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Evaluates a code spec in a worker thread with a time limit and returns what it exports, as
 * plain data (structured clone: getters have run, in the worker). The caller's event loop keeps
 * running meanwhile (the control plane keeps answering and supervising), and a spec that never
 * finishes (`while (true) {}`, a promise that never settles) is cut off: the worker is
 * terminated. Loads run one at a time in one worker, which stays a while for the next load
 * (the packages a spec imports, like zod, are then loaded once).
 */
export function evaluateInWorker(file: string, timeoutMs: number): Promise<Evaluation> {
  const next = queue.then(() => evaluateOnce(file, timeoutMs));
  queue = next.catch(() => {});
  return next;
}

function evaluateOnce(file: string, timeoutMs: number): Promise<Evaluation> {
  clearTimeout(idleTimer);
  if (!worker) worker = startWorker();
  const w = worker;
  return new Promise<Evaluation>((resolve) => {
    const finish = (outcome: Evaluation, discard: boolean) => {
      clearTimeout(timer);
      w.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (discard) stopWorker(w);
      else idleTimer = setTimeout(() => stopWorker(w), IDLE_MS).unref();
      resolve(outcome);
    };
    const onMessage = (outcome: Evaluation) =>
      finish(outcome.kind === "threw" ? { kind: "threw", error: revive(outcome.error) } : outcome, false);
    // Thrown outside the load (a timer in the spec) or out of memory: this worker is done.
    const onError = (error: Error) => finish({ kind: "threw", error }, true);
    const onExit = (code: number) => finish({ kind: "exited", code }, true);
    const timer = setTimeout(() => finish({ kind: "timeout" }, true), timeoutMs);
    w.on("message", onMessage).once("error", onError).once("exit", onExit);
    w.postMessage(file);
  });
}

/** The error the spec threw, as the loader made it (a SyntaxError stays one). */
function revive(error: unknown): Error {
  const { name, message } = error as { name: string; message: string };
  const revived = name === "SyntaxError" ? new SyntaxError(message) : new Error(message);
  revived.name = name;
  return revived;
}

function startWorker(): Worker {
  const w = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
  // Never keeps a process alive by itself: a load in progress holds its own timer.
  w.unref();
  return w;
}

function stopWorker(w: Worker): void {
  if (worker === w) worker = undefined;
  void w.terminate();
}
