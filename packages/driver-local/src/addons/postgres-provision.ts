import { realpathSync } from "node:fs";
import pg from "pg";
import { SUPERUSER } from "./postgres-cluster";
import type { AddonRecord } from "./types";

/** The role services log in as: owns their databases, cannot touch the cluster itself. */
export const APP_ROLE = "app";
/**
 * The second login for password rotation. A Postgres role has one password, so rotating it in
 * place would lock out every service process still holding the old one the next time its
 * pool opens a connection. Instead consecutive versions alternate between two login roles:
 * the new password goes on the role the live services do not use, they restart onto it, and
 * only then does the old role lose its password. This one is a member of APP_ROLE and becomes
 * it at login (its `role` setting), so what it creates is owned by APP_ROLE as before.
 */
export const ALT_ROLE = "app_alt";

/** The login role a rotated password version uses: even versions (0 = the derived one) APP_ROLE. */
export const loginRole = (version: number) => (version % 2 === 0 ? APP_ROLE : ALT_ROLE);

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

/**
 * Gives `login`'s role its password (creating the second role on first use) and, with
 * `withdrawPrevious`, takes the other role's password away. Idempotent; the app role keeps
 * owning everything, so no grant or ownership moves.
 */
export async function rotateLogin(
  client: pg.Client,
  login: { version: number; password: string },
  withdrawPrevious: boolean,
): Promise<void> {
  const role = loginRole(login.version);
  const other = loginRole(login.version + 1);
  const alt = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [ALT_ROLE]);
  if (alt.rowCount === 0) {
    const [altRole, app] = [pg.escapeIdentifier(ALT_ROLE), pg.escapeIdentifier(APP_ROLE)];
    await client.query(
      `CREATE ROLE ${altRole} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT IN ROLE ${app}`,
    );
    await client.query(`ALTER ROLE ${altRole} SET role = ${pg.escapeLiteral(APP_ROLE)}`);
  }
  await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(login.password)}`);
  if (withdrawPrevious) await client.query(`ALTER ROLE ${pg.escapeIdentifier(other)} PASSWORD NULL`);
}
