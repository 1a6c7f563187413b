import pg from "pg";
import { logError, requireEnv, service } from "./runtime.mjs";

/** A small pool per process: several revisions and replicas share one Postgres. */
export function createPool() {
  const pool = new pg.Pool({
    connectionString: requireEnv("DATABASE_URL"),
    max: 5,
    // Fail a request (and /healthz) quickly when Postgres is away instead of queueing forever.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
    application_name: `shop-${service}`,
  });
  // An idle client losing its connection emits here; unhandled, it would crash the process.
  pool.on("error", (err) => logError("idle postgres client", err));
  return pool;
}
