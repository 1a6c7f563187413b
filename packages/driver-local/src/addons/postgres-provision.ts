import { realpathSync } from "node:fs";
import pg from "pg";
import { SUPERUSER } from "./postgres-cluster";
import type { AddonRecord } from "./types";

/** The role services log in as: owns their databases, cannot touch the cluster itself. */
export const APP_ROLE = "app";

/** Connects as the superuser over loopback; throws if the server is not (yet) answering. */
export async function connectAdmin(record: AddonRecord): Promise<pg.Client> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port: record.port,
    user: SUPERUSER,
    password: record.password,
    database: "postgres",
    connectionTimeoutMillis: 2_000,
  });
  client.on("error", () => {}); // a server going away later must not crash the control plane
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

/**
 * Whether the server on the port is the one in `record.dataDir` — the port may have been
 * handed to another cluster that happens to accept the same password.
 */
export async function servesDataDir(client: pg.Client, record: AddonRecord): Promise<boolean> {
  const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
  return rows[0]?.data_directory === realpathSync(record.dataDir);
}

/**
 * Creates the app role and each database it owns, skipping what exists, so running it on
 * every ensure() costs two catalogue reads. DDL cannot take parameters, hence pg's escaping.
 */
export async function provision(
  client: pg.Client,
  rolePassword: string,
  databases: readonly string[],
): Promise<void> {
  const role = pg.escapeIdentifier(APP_ROLE);
  const roles = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
  if (roles.rowCount === 0)
    await client.query(
      `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${pg.escapeLiteral(rolePassword)}`,
    );
  const existing = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])",
    [databases],
  );
  const have = new Set(existing.rows.map((r) => r.datname));
  for (const db of databases) {
    // CREATE DATABASE cannot run inside a transaction block, so one statement each.
    if (!have.has(db)) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(db)} OWNER ${role}`);
  }
}
