import { dirname, join } from "node:path/posix";
import { SlipwayError } from "../errors";
import type { ServiceConfig } from "./config";
import { expandTemplates } from "./references";

export interface ProcessEnvInput {
  service: string;
  config: ServiceConfig;
  environment: string;
  release: number;
  build: string;
  port?: number;
  /** The service's persistent directory, when its spec asks for `volume: true`. */
  volume?: string;
  /** What every process starts from: PATH (see `servicePath`) and LANG. */
  base: Record<string, string>;
  /** Connection env of each add-on, by add-on name. */
  addons: Record<string, Record<string, string>>;
  /** Internal URL of each service, by service name. */
  serviceUrls: Record<string, string>;
  /**
   * Opened secret values by env name (NAME, NAME_PREVIOUS). In the environment only: never
   * referable by `$(NAME)`, so no value lands in an argv (which `ps` shows).
   */
  secrets?: Record<string, string>;
}

/** What a process is started with: its argv and its complete environment, references expanded. */
export interface ProcessLaunch {
  argv: string[];
  env: Record<string, string>;
}

/**
 * The argv and the complete environment of one process. Environment precedence, lowest first:
 * base, add-ons (in `uses` order, the first add-on keeps generic names such as DATABASE_URL),
 * called services' URLs, the service's own env, its declared secrets, then Slipway's own variables (SLIPWAY_*, PORT),
 * which nothing overrides.
 *
 * `$(NAME)` in a command item or an env value is replaced by the variable Slipway injects
 * under that name (see ./references.ts); the service's own env values are not referable.
 * @throws SlipwayError SLW_SPEC_INVALID naming every unknown or malformed reference; nothing
 *   is expanded then.
 */
export function processLaunch(i: ProcessEnvInput): ProcessLaunch {
  const shared: Record<string, string> = {};
  for (const addon of [...i.config.uses].reverse()) Object.assign(shared, i.addons[addon] ?? {});
  for (const callee of i.config.calls) {
    const url = i.serviceUrls[callee];
    if (url) shared[`${envName(callee)}_URL`] = url;
  }
  const own: Record<string, string> = {
    SLIPWAY_SERVICE: i.service,
    SLIPWAY_ENV: i.environment,
    SLIPWAY_RELEASE: `v${i.release}`,
    SLIPWAY_BUILD: i.build,
    ...(i.volume !== undefined ? { SLIPWAY_VOLUME: i.volume } : {}),
    ...(i.port !== undefined ? { PORT: String(i.port) } : {}),
  };
  const envEntries = Object.entries(i.config.env);
  const expanded = expandTemplates(
    [
      ...i.config.command.map((value, n) => ({ where: `command[${n}]`, value })),
      ...envEntries.map(([k, value]) => ({ where: `env.${k}`, value })),
    ],
    { ...shared, ...own },
  );
  if (!expanded.ok)
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      `${i.service}: ${expanded.problems.map((p) => `${p.where}: ${p.message}`).join("; ")}`,
      `reference one of: ${Object.keys({ ...shared, ...own })
        .sort()
        .join(", ")}; or write $$( for a literal "$("`,
      { service: i.service, problems: expanded.problems },
    );
  const argv = expanded.values.slice(0, i.config.command.length);
  const values = expanded.values.slice(i.config.command.length);
  const userEnv = Object.fromEntries(envEntries.map(([k], n) => [k, values[n]!]));
  return { argv, env: { ...i.base, ...shared, ...userEnv, ...i.secrets, ...own } };
}

/** The environment part of `processLaunch`. */
export function processEnv(i: ProcessEnvInput): Record<string, string> {
  return processLaunch(i).env;
}

/** Where every process finds programs when its spec sets no PATH of its own. */
export const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * A process's PATH: the build's `node_modules/.bin` first (so `["postgraphile"]` runs the
 * app's dependency), then the directory of the node binary running Slipway (so `node` and
 * `npm` are the ones Slipway runs on), then the system's. Nothing of the control plane's own
 * PATH: under `npx` that holds Slipway's `node_modules/.bin` (tsx, vitest…), which an app must
 * never run by accident.
 * @example servicePath("/p/.slipway/builds/ab12", "/usr/local/bin/node")
 */
export function servicePath(buildDir: string, nodeExecutable: string): string {
  const dirs = [join(buildDir, "node_modules", ".bin"), dirname(nodeExecutable), ...SYSTEM_PATH.split(":")];
  return [...new Set(dirs)].join(":");
}

/** "rates-v2" → "RATES_V2": a name as it appears in env var names (anything else → "_"). */
export const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
