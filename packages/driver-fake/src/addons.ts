import {
  type AddonConfig,
  type AddonLogin,
  type AddonRecord,
  type AddonsPort,
  SlipwayError,
} from "@slipway/core";
import type { FakeWorld } from "./world";

const key = (r: AddonRecord) => `${r.env}/${r.name}`;
/** An instance is its data directory: a restored copy of an add-on runs beside the live one. */
const instance = (r: AddonRecord) => `${r.env}/${r.dataDir}`;
const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
/** As the local driver: consecutive versions alternate between two login roles. */
const loginRole = (version: number) => (version % 2 === 0 ? "app" : "app_alt");

/** Add-ons that start at once; their connection env has the local driver's variable names. */
export function fakeAddons(world: FakeWorld): AddonsPort {
  return {
    async ensure(_config, record) {
      const found = world.addons.get(instance(record));
      if (found?.running) return { pid: found.pid, adopted: true };
      const pid = world.pid();
      world.addons.set(instance(record), { pid, running: true });
      return { pid, adopted: false };
    },
    connectionEnv(config: AddonConfig, record: AddonRecord, login?: AddonLogin) {
      const at = `${encodeURIComponent(record.password)}@127.0.0.1:${record.port}`;
      switch (config.type) {
        case "postgres": {
          const user = login
            ? `${loginRole(login.version)}:${encodeURIComponent(login.password)}@127.0.0.1:${record.port}`
            : `app:${at}`;
          const url = (db: string) => `postgres://${user}/${encodeURIComponent(db)}`;
          const first = url(config.databases[0] ?? "app");
          const env: Record<string, string> = { DATABASE_URL: first, [`${envName(record.name)}_URL`]: first };
          for (const db of config.databases) env[`DATABASE_URL_${envName(db)}`] = url(db);
          return env;
        }
        case "redis":
          return { REDIS_URL: `redis://:${at}`, [`${envName(record.name)}_URL`]: `redis://:${at}` };
        case "bucket":
          return {
            S3_ENDPOINT: `http://127.0.0.1:${record.port}`,
            S3_BUCKET: config.bucket ?? record.name,
            S3_REGION: "us-east-1",
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: record.name,
            AWS_SECRET_ACCESS_KEY: record.password,
            S3_FORCE_PATH_STYLE: "true",
          };
      }
    },
    async rotatePassword(config, record, login, { withdrawPrevious }) {
      if (config.type !== "postgres")
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `${record.name} is a ${config.type} add-on; only postgres rotates`,
        );
      const logins = world.logins.get(key(record)) ?? new Map<string, string>();
      world.logins.set(key(record), logins);
      logins.set(loginRole(login.version), login.password);
      if (withdrawPrevious) logins.delete(loginRole(login.version + 1));
    },
    async describe(record) {
      return {
        running: world.addons.get(instance(record))?.running ?? false,
        host: "127.0.0.1",
        port: record.port,
      };
    },
    async stop(record) {
      const found = world.addons.get(instance(record));
      if (found) found.running = false;
    },
    // No rows to copy in memory: it checks what the local driver's connect would, and copies nothing.
    async copyMasked(source, target) {
      for (const end of [source, target])
        if (!world.addons.get(instance(end.record))?.running)
          throw new SlipwayError(
            "SLW_DATA_COPY_FAILED",
            `cannot connect to ${end.record.env}'s database ${end.record.name}: it is not running`,
            "check that both environments' postgres add-ons run (slipway status)",
          );
      return { database: source.config.databases[0] ?? "app", tables: [] };
    },
  };
}
