// The release job: Slipway runs it once per release, before traffic moves; if it exits
// non-zero the release stops and the live one keeps serving. Applies migrations/NNN_*.sql
// in order, each once (recorded in schema_migrations), then logs the run in release_jobs.
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { log, release, requireEnv } from "./lib/runtime.mjs";

const MIGRATIONS = new URL("./migrations/", import.meta.url);
// Any constant will do; it only has to be the same for every run of this job.
const LOCK_KEY = 7_364_201;

async function inTransaction(client, work) {
  await client.query("BEGIN");
  try {
    await work();
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
}

async function migrate(client) {
  // Waiting behind the live release's table locks would stall its traffic: give up instead.
  await client.query("SET lock_timeout = '10s'");
  // Two release jobs at once (two deploys racing) would apply the same file twice.
  await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);

  if (process.env.FAIL_MIGRATION === "1")
    throw new Error("FAIL_MIGRATION=1 is set: failing on purpose, before changing anything");

  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query("SELECT version FROM schema_migrations");
  const applied = new Set(rows.map((row) => row.version));

  // Zero-padded numbers make the name order the apply order.
  const files = readdirSync(MIGRATIONS)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort();
  let count = 0;
  for (const file of files) {
    const version = file.slice(0, -".sql".length);
    if (applied.has(version)) continue;
    const sql = readFileSync(new URL(file, MIGRATIONS), "utf8");
    try {
      await inTransaction(client, async () => {
        await client.query(sql);
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
      });
    } catch (err) {
      throw new Error(`${file}: ${err.message}`);
    }
    log(`applied ${file}`);
    count++;
  }

  await client.query("INSERT INTO release_jobs (release) VALUES ($1)", [release]);
  log(`release ${release}: ${count} migration(s) applied, ${files.length - count} already in place`);
}

let client;
try {
  client = new pg.Client({
    connectionString: requireEnv("DATABASE_URL"),
    connectionTimeoutMillis: 10_000,
    application_name: "shop-migrate",
  });
  await client.connect();
  await migrate(client);
} catch (err) {
  console.error(`migrate: failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  // Ending the session also releases the advisory lock.
  await client?.end().catch(() => {});
}
