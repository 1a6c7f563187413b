import { type AddonsPort, SlipwayError } from "@slipway/core";
import { addonDriver, copyMaskedDatabase, postmasterPid } from "./addons";
import { postgresDriver } from "./addons/postgres";

/** Postgres, Redis and s3rver as real servers on 127.0.0.1 that outlive the control plane. */
export function localAddons(): AddonsPort {
  return {
    // The spec's add-on types and the release's frozen AddonConfig are the same shapes.
    ensure: (config, record) => addonDriver(config.type).ensure(config as never, record),
    connectionEnv: (config, record, login) =>
      addonDriver(config.type).connectionEnv(config as never, record, login),
    async rotatePassword(config, record, login, { withdrawPrevious }) {
      if (config.type !== "postgres")
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `${record.name} is a ${config.type} add-on; only a postgres add-on's login password rotates`,
          "name a postgres add-on in the secret's `addon`",
        );
      await postgresDriver().rotatePassword(record, login, withdrawPrevious);
    },
    async describe(record) {
      const running = await addonDriver(record.kind).isRunning(record);
      // An adopted Postgres listens where its postmaster says, whatever the record holds.
      const port = (record.kind === "postgres" && running && postmasterPid(record)?.port) || record.port;
      return { running, host: "127.0.0.1", port };
    },
    stop: (record) => addonDriver(record.kind).stop(record),
    async copyMasked(source, target, rules, onProgress) {
      // The app role's URLs: it owns what the release job created, and nothing else.
      const url = (end: typeof source) =>
        addonDriver("postgres").connectionEnv(end.config as never, end.record).DATABASE_URL!;
      const { tables } = await copyMaskedDatabase({
        source: url(source),
        target: url(target),
        rules,
        ...(onProgress ? { onProgress } : {}),
      });
      return { database: source.config.databases[0] ?? "app", tables };
    },
  };
}
