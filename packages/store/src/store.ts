import { mkdirSync } from "node:fs";
import { SlipwayError } from "@slipway/core";
import { backupRunQueries } from "./backup-runs";
import { cronRunQueries } from "./cron-runs";
import { environmentQueries } from "./environments";
import { eventQueries } from "./events";
import { flagQueries } from "./flags";
import { jobCountQueries } from "./job-counts";
import { migrate } from "./migrate";
import { processQueries } from "./processes";
import { promotionQueries } from "./promotions";
import { releaseQueries } from "./releases";
import { rolloutQueries } from "./rollouts";
import { secretQueries } from "./secrets";
import { openPglite, openPostgres, type Sql } from "./sql";
import { tokenQueries } from "./tokens";

export type Store = Awaited<ReturnType<typeof openStore>>;

/**
 * Opens the control plane's store: a PostgreSQL server when `databaseUrl` is given (the
 * cluster the control plane runs under `.slipway/store`, or `SLIPWAY_DATABASE_URL`), else
 * PGlite under `dataDir` (or in memory when neither). Applies pending migrations.
 */
export async function openStore(opts: { databaseUrl?: string; dataDir?: string } = {}) {
  let sql: Sql;
  try {
    if (opts.databaseUrl) sql = await openPostgres(opts.databaseUrl);
    else {
      if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
      sql = await openPglite(opts.dataDir);
    }
  } catch (e) {
    throw new SlipwayError(
      "SLW_STATE_CORRUPT",
      `could not open the control-plane store (${opts.databaseUrl ? "a PostgreSQL server" : opts.dataDir}): ${(e as Error).message}`,
      opts.databaseUrl
        ? "check that the server runs and the URL lets you log in (SLIPWAY_DATABASE_URL, when you set it)"
        : `the embedded database under ${opts.dataDir} is damaged; move it aside (it is only Slipway's own state) and run again`,
    );
  }
  await migrate(sql);
  return {
    sql,
    ...queriesOver(sql),
    /** Runs fn with queries bound to one transaction: all of its writes land, or none. */
    transaction: <T>(fn: (tx: Queries) => Promise<T>) => sql.transaction((tx) => fn(queriesOver(tx))),
    close: () => sql.close(),
  };
}

export type Queries = ReturnType<typeof queriesOver>;

function queriesOver(sql: Sql) {
  return {
    events: eventQueries(sql),
    tokens: tokenQueries(sql),
    environments: environmentQueries(sql),
    releases: releaseQueries(sql),
    rollouts: rolloutQueries(sql),
    processes: processQueries(sql),
    cronRuns: cronRunQueries(sql),
    secrets: secretQueries(sql),
    flags: flagQueries(sql),
    promotions: promotionQueries(sql),
    backupRuns: backupRunQueries(sql),
    jobCounts: jobCountQueries(sql),
  };
}
