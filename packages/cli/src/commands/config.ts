import { type ConfigChange, configChanges, type ReleaseConfig, SlipwayError } from "@slipway/core";
import { api, target } from "../client";
import { printJson, table } from "../output";

/** Which config keys differ between two releases of an environment (keys only, never values). */
export async function diff(o: {
  dir: string;
  env: string;
  from: number;
  to: number;
  json: boolean;
}): Promise<void> {
  const { releases } = await api<{ releases: { number: number; config: ReleaseConfig }[] }>(
    target(o.dir),
    "GET",
    `/v1/environments/${encodeURIComponent(o.env)}/releases`,
  );
  const configOf = (n: number) => {
    const r = releases.find((x) => x.number === n);
    if (!r)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no release v${n} in ${o.env}`,
        `releases there: ${releases.map((x) => `v${x.number}`).join(", ") || "none"}; see slipway releases`,
      );
    return r.config;
  };
  const changes: ConfigChange[] = configChanges(configOf(o.from), configOf(o.to));
  if (o.json) return printJson(changes);
  process.stdout.write(
    changes.length
      ? `${table(changes.map((c) => ({ change: c.change, key: c.path })))}\n`
      : `v${o.from} and v${o.to} run the same config\n`,
  );
}
