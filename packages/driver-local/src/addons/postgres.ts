import { envName } from "@slipway/core";
import type { PostgresAddon } from "@slipway/spec";
import { requirePostgresBinDir } from "../system/binaries";
import { addonUser } from "../system/service-user";
import { prepareDataDir } from "./data-dir";
import { assertPortAvailable } from "./port-check";
import {
  assertShellSafeDataDir,
  type Cluster,
  failed,
  initCluster,
  initializedMajor,
  postmasterPid,
  startCluster,
  stopCluster,
  writeSettings,
} from "./postgres-cluster";
import {
  APP_ROLE,
  connectAdmin,
  loginRole,
  provision,
  rotateLogin,
  servesDataDir,
} from "./postgres-provision";
import { pidAlive, waitFor, waitForExit } from "./process";
import { derivedSecret } from "./secrets";
import type { AddonDriver, AddonDriverOptions, AddonLogin, AddonRecord } from "./types";

/**
 * PostgreSQL from the machine's binaries (Debian: /usr/lib/postgresql/<major>/bin), one cluster
 * per add-on, started by `pg_ctl` so it is detached from the control plane and survives its
 * death; the next control plane adopts it.
 */
export function postgresDriver(opts: AddonDriverOptions = {}): AddonDriver<PostgresAddon> & {
  rotatePassword(record: AddonRecord, login: AddonLogin, withdrawPrevious: boolean): Promise<void>;
} {
  const cluster = (spec: PostgresAddon | undefined, record: AddonRecord): Cluster => ({
    // An existing cluster can only be run by the major that created it.
    binDir: requirePostgresBinDir(initializedMajor(record) ?? spec?.version, opts.postgresRoot),
    record,
    runAs: addonUser(),
  });

  return {
    async ensure(spec, record) {
      assertShellSafeDataDir(record);
      const c = cluster(spec, record);
      prepareDataDir(record, c.runAs);
      const running = runningPostmaster(record);
      if (!running) {
        await assertPortAvailable(record);
        if (initializedMajor(record) === undefined) await initCluster(c);
        writeSettings(c);
        await startCluster(c);
      } else if (running.port !== record.port) {
        throw failed(record, `is already running on port ${running.port}, not ${record.port}; stop it first`);
      }
      const pid = runningPostmaster(record)?.pid;
      if (pid === undefined) throw failed(record, "exited right after starting");
      await provisionWhenReady(spec, record);
      return { pid, adopted: running !== undefined };
    },

    connectionEnv(spec, record, login) {
      const [role, password] = login
        ? [loginRole(login.version), login.password]
        : [APP_ROLE, appPassword(record)];
      const url = (db: string) =>
        `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${record.port}/${encodeURIComponent(db)}`;
      const first = url(spec.databases[0] ?? "app");
      const env: Record<string, string> = { DATABASE_URL: first, [`${envName(record.name)}_URL`]: first };
      for (const db of spec.databases) env[`DATABASE_URL_${envName(db)}`] = url(db);
      return env;
    },

    async isRunning(record) {
      return runningPostmaster(record) !== undefined;
    },

    async rotatePassword(record: AddonRecord, login: AddonLogin, withdrawPrevious: boolean) {
      const client = await connectAdmin(record).catch((e: Error) => {
        throw failed(record, `does not accept the superuser's password on port ${record.port}`, e.message);
      });
      try {
        await rotateLogin(client, login, withdrawPrevious);
      } finally {
        await client.end().catch(() => {});
      }
    },

    async stop(record) {
      const running = runningPostmaster(record);
      if (!running) return;
      await stopCluster(cluster(undefined, record));
      // pg_ctl returns once the pid file is gone, which the postmaster removes just before it
      // exits: "stopped" must mean the process is gone.
      if (!(await waitForExit(running.pid, "postgres", 10_000)))
        throw failed(record, `(pid ${running.pid}) did not stop`);
    },
  };
}

/** Services get a password derived from the record's, which stays the superuser's alone. */
export function appPassword(record: AddonRecord): string {
  return derivedSecret(record.password, `postgres:${record.env}:${record.name}:${APP_ROLE}`);
}

function runningPostmaster(record: AddonRecord): { pid: number; port: number } | undefined {
  const found = postmasterPid(record);
  return found && pidAlive(found.pid, "postgres") ? found : undefined;
}

/** An adopted server may still be recovering after a crash; give it a few seconds. */
async function provisionWhenReady(spec: PostgresAddon, record: AddonRecord): Promise<void> {
  let lastError = "";
  const client = await waitFor(
    async () => {
      try {
        return await connectAdmin(record);
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
        return undefined;
      }
    },
    15_000,
    () => !runningPostmaster(record),
  );
  if (!client)
    throw failed(
      record,
      `does not accept the superuser's password on port ${record.port}`,
      lastError,
      "password",
    );
  try {
    if (!(await servesDataDir(client, record)))
      throw failed(record, `is not what answers on port ${record.port}: another cluster does`);
    await provision(client, appPassword(record), spec.databases);
  } finally {
    await client.end().catch(() => {});
  }
}
