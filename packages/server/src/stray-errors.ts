import type { Logger } from "pino";

/**
 * Keeps the control plane running when an error escapes every handler (a promise rejected
 * with nobody waiting, an `error` event nobody listens to): logged with its stack, as the
 * bug it is. Dying would be worse: health checks, restarts and the edge's weights stop with
 * the process, and no request may take that down. The control plane keeps no decision in
 * memory (the store holds it), so carrying on cannot act on a half-made one.
 * Returns the function that removes the handlers.
 */
export function logStrayErrors(log: Logger): () => void {
  const onRejection = (reason: unknown) =>
    log.error({ err: reason }, "unhandled promise rejection (a bug); the control plane keeps running");
  const onException = (err: Error) =>
    log.error({ err }, "uncaught exception (a bug); the control plane keeps running");
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}
