import { log, logError } from "./runtime.mjs";

// Slipway sends SIGTERM and, after the service's drainSeconds (30 s by default), SIGKILL.
// Giving up a little earlier means the exit is ours and the log says why.
const DEADLINE_MS = 25_000;

/**
 * Runs `drain` once on SIGTERM or SIGINT, then exits 0; exits 1 if draining throws or
 * overruns the deadline. Exiting explicitly matters: client libraries keep reconnect
 * timers alive, so "wait for the event loop to empty" might never happen.
 */
export function onShutdown(drain) {
  let started = false;
  const handle = async (signal) => {
    if (started) return;
    started = true;
    log(`${signal}: draining`);
    const timer = setTimeout(() => {
      console.error(`shutdown took longer than ${DEADLINE_MS} ms; exiting anyway`);
      process.exit(1);
    }, DEADLINE_MS);
    timer.unref();
    try {
      await drain();
      log("drained; exiting");
      process.exit(0);
    } catch (err) {
      logError("shutdown failed", err);
      process.exit(1);
    }
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
}
