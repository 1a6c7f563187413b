import { Redis } from "ioredis";
import { log, logError, requireEnv } from "./runtime.mjs";

// Errors that only say "Redis is unreachable"; the client reports those once per outage.
const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EPIPE",
]);

/**
 * An ioredis client on $REDIS_URL, passed to BullMQ explicitly (BullMQ only loads ioredis
 * by itself through `require`, which native ESM does not have).
 *
 * `blocking: true` is for workers: BullMQ's blocking commands need maxRetriesPerRequest
 * null (wait for Redis to come back). A web process wants the opposite: fail the request
 * after a retry, so a Redis outage is an error answer, not a hung connection.
 */
export function createRedis({ blocking = false } = {}) {
  const redis = new Redis(requireEnv("REDIS_URL"), {
    maxRetriesPerRequest: blocking ? null : 1,
  });
  // ioredis retries every few hundred ms while Redis is away: say so once, not each time.
  let down = false;
  redis.on("error", (err) => {
    if (!down || !CONNECTION_ERRORS.has(err.code)) logError("redis", err);
    if (CONNECTION_ERRORS.has(err.code)) down = true;
  });
  redis.on("ready", () => {
    if (down) log("redis: reconnected");
    down = false;
  });
  return redis;
}

/**
 * Logs a BullMQ Queue/Worker's errors, minus the connection ones: those arrive through the
 * shared client too, which already reported them. (An "error" event with no listener
 * would crash the process.)
 */
export function reportErrors(emitter, label) {
  emitter.on("error", (err) => {
    if (!CONNECTION_ERRORS.has(err.code)) logError(label, err);
  });
}

/** Closes politely when Redis is there; otherwise QUIT would wait for a reconnect. */
export async function closeRedis(redis) {
  if (redis.status === "ready") await redis.quit();
  else redis.disconnect();
}
