import { chmodSync, existsSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type AddonRecord, type Driver, isSlipwayError, SlipwayError } from "@slipway/core";
import { openStore, type Store } from "@slipway/store";
import type { Logger } from "pino";
import { makePrivateDir, startsOtherUsers } from "./private-dir";

export interface ControlPlaneStore {
  store: Store;
  /** Stops the store's own server when we run one (data stays); nothing otherwise. */
  stopServer(): Promise<void>;
}

/** Which embedded store a project gets, decided from what is on disk and installed. */
export type EmbeddedKind =
  | { kind: "postgres"; major: number }
  | { kind: "pglite"; why: "existing" | "no-server"; detail?: string };

/** What the embedded store needs of this machine: its add-on code for Postgres, a port, the installed major. */
export interface StoreHost {
  driver: Driver;
  /** The newest PostgreSQL major installed; throws SLW_BINARY_MISSING when there is none. */
  installedPostgresMajor(): number;
}

/**
 * Opens the control plane's own database: `SLIPWAY_DATABASE_URL` when given, else the embedded
 * store under `.slipway/store` — a PostgreSQL cluster Slipway runs for itself (the local driver's
 * cluster code, as for a postgres add-on: loopback only, SCRAM passwords, fsync on, run as the
 * service user when we are root, adopted after a crash), or PGlite where that cannot be.
 */
export async function openControlPlaneStore(o: {
  storeDir: string;
  databaseUrl?: string | undefined;
  /** The cluster superuser's password, stable across starts (derived from master.key). */
  password: string;
  /** Where that key lives, to name it when the password is refused. */
  masterKeyFile: string;
  log: Logger;
  host: StoreHost;
}): Promise<ControlPlaneStore> {
  if (o.databaseUrl)
    return { store: await openStore({ databaseUrl: o.databaseUrl }), stopServer: async () => {} };
  const embedded = embeddedKind(o.storeDir, o.host.installedPostgresMajor);
  // The cluster runs as the add-on user when we are root: it must reach its subdirectory.
  makePrivateDir(o.storeDir, embedded.kind === "postgres" && startsOtherUsers());
  if (embedded.kind === "pglite") return openPgliteStore(o.storeDir, embedded, o.log);

  const pg = o.host.driver.addons;
  const spec = { type: "postgres" as const, version: embedded.major, databases: ["slipway"] };
  const record: AddonRecord = {
    env: "control-plane",
    name: "store",
    kind: "postgres",
    port: 0,
    password: o.password,
    dataDir: join(o.storeDir, "postgres"),
  };
  // Adopted: keep the port it listens on. Else any free one; nothing else needs to know it.
  const found = await pg.describe(record);
  record.port = found.running ? found.port : await o.host.driver.runtime.allocatePort();
  const { adopted } = await pg.ensure(spec, record).catch(async (e: unknown) => {
    // Nothing may stay running of a start that failed: stop the server if it runs.
    await pg.stop(record).catch(() => {});
    if (isSlipwayError(e) && e.detail?.reason === "password")
      throw new SlipwayError(
        "SLW_STATE_CORRUPT",
        `the control plane's store does not accept the password derived from ${o.masterKeyFile}: that is not the key this project's state was created with`,
        `restore ${o.masterKeyFile} from a backup; without it neither the store nor the sealed add-on passwords open`,
      );
    throw isSlipwayError(e)
      ? new SlipwayError(e.code, `the control plane's store: ${e.message}`, e.hint, e.detail)
      : e;
  });
  o.log.info({ dataDir: record.dataDir, port: record.port, adopted }, "store: PostgreSQL server");
  return {
    store: await openStore({ databaseUrl: pg.connectionEnv(spec, record).DATABASE_URL }),
    stopServer: () => pg.stop(record),
  };
}

/**
 * A PGlite directory (PG_VERSION right in the store directory, where the cluster has its own
 * subdirectory) stays PGlite: switching would orphan the releases, tokens and sealed add-on
 * passwords in it. A new store is a PostgreSQL cluster when a server binary is installed.
 */
export function embeddedKind(storeDir: string, installedPostgresMajor: () => number): EmbeddedKind {
  if (existsSync(join(storeDir, "PG_VERSION"))) return { kind: "pglite", why: "existing" };
  try {
    return { kind: "postgres", major: installedPostgresMajor() };
  } catch (e) {
    if (isSlipwayError(e) && e.code === "SLW_BINARY_MISSING")
      return { kind: "pglite", why: "no-server", detail: e.message };
    throw e;
  }
}

async function openPgliteStore(
  dir: string,
  embedded: Extract<EmbeddedKind, { kind: "pglite" }>,
  log: Logger,
): Promise<ControlPlaneStore> {
  const why =
    embedded.why === "existing"
      ? `${dir} is a PGlite store made by an earlier Slipway, kept so its state stays. A PostgreSQL server store starts in about a second instead of several and uses some 300 MB less; to switch, run slipway down, move .slipway aside (this starts the project's Slipway state afresh) and run slipway up`
      : `no PostgreSQL server binary is installed (${embedded.detail}), so the store is PGlite (wasm) under ${dir}: slower to start, some 300 MB more memory. Install one (sudo apt-get install -y postgresql) for a new project to get a PostgreSQL server store`;
  log.warn({ dataDir: dir, reason: embedded.why }, `store: ${why}`);
  process.stderr.write(`note: ${why}\n`);
  const store = await openStore({ dataDir: dir });
  // PGlite makes its files 0666; the 0700 directory is the barrier, this is the second one.
  keepFilesPrivate(dir);
  return { store, stopServer: async () => {} };
}

function keepFilesPrivate(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o700);
    if (st.isDirectory()) keepFilesPrivate(path);
  }
}
