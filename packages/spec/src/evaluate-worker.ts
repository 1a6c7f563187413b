import { Worker } from "node:worker_threads";
import { fail, issue } from "./evaluate";
import type { LoadResult } from "./validate";

const ENTRY = new URL("./spec-worker.mjs", import.meta.url);
/** Kept this long after a load, so reloading in a row (a deploy, a watcher) reuses it. */
const IDLE_MS = 30_000;
/** A spec that builds a huge object ends its worker, not the control plane. */
const HEAP_MB = 512;

let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Evaluates and validates a code spec in a worker thread with a time limit. The caller's event
 * loop keeps running meanwhile (the control plane keeps answering and supervising), and a spec
 * that never finishes (`while (true) {}`, a promise that never settles) is cut off: the worker is
 * terminated and the result is an SLW_SPEC_LOAD_FAILED issue naming the file and the limit.
 * Loads run one at a time in one worker, which stays a few seconds for the next load (packages
 * the spec imports, like zod, are then loaded once).
 */
export function evaluateInWorker(file: string, shown: string, timeoutMs: number): Promise<LoadResult> {
  const next = queue.then(() => evaluateOnce(file, shown, timeoutMs));
  queue = next.catch(() => {});
  return next;
}

function evaluateOnce(file: string, shown: string, timeoutMs: number): Promise<LoadResult> {
  clearTimeout(idleTimer);
  if (!worker) worker = startWorker();
  const w = worker;
  return new Promise<LoadResult>((resolve) => {
    const finish = (result: LoadResult, discard: boolean) => {
      clearTimeout(timer);
      w.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (discard) stopWorker(w);
      else idleTimer = setTimeout(() => stopWorker(w), IDLE_MS).unref();
      resolve(result);
    };
    const onMessage = (text: string) => finish(JSON.parse(text) as LoadResult, false);
    const onError = (e: Error) =>
      finish(
        fail(file, issue("SLW_SPEC_LOAD_FAILED", shown, `could not be evaluated: ${e.message}`, HINT)),
        true,
      );
    const onExit = (code: number) =>
      finish(
        fail(file, issue("SLW_SPEC_LOAD_FAILED", shown, `ended the evaluation (exit code ${code})`, HINT)),
        true,
      );
    const timer = setTimeout(
      () =>
        finish(
          fail(
            file,
            issue(
              "SLW_SPEC_LOAD_FAILED",
              shown,
              `did not finish evaluating within ${timeoutMs / 1000} s (an endless loop, or a promise that never settles?)`,
              "a spec must evaluate quickly: remove the loop or the wait; nothing was changed",
            ),
          ),
          true,
        ),
      timeoutMs,
    );
    w.on("message", onMessage).once("error", onError).once("exit", onExit);
    w.postMessage({ file, shown });
  });
}

const HINT = "fix the error above; the file runs as a module, so anything it does stops the load";

function startWorker(): Worker {
  const w = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stdout: false });
  // Never keeps a process alive by itself: a load in progress holds its own timer.
  w.unref();
  return w;
}

function stopWorker(w: Worker): void {
  if (worker === w) worker = undefined;
  void w.terminate();
}
