import type { ServiceConfig } from "./config";

export interface ProcessEnvInput {
  service: string;
  config: ServiceConfig;
  environment: string;
  release: number;
  build: string;
  port?: number;
  /** PATH (and the like) handed down from the control plane. */
  base: Record<string, string>;
  /** Connection env of each add-on, by add-on name. */
  addons: Record<string, Record<string, string>>;
  /** Internal URL of each service, by service name. */
  serviceUrls: Record<string, string>;
}

/**
 * The complete environment of one process. Precedence, lowest first: base, add-ons (in
 * `uses` order, the first add-on keeps generic names such as DATABASE_URL), called services'
 * URLs, the service's own env, then Slipway's own variables, which nothing overrides.
 */
export function processEnv(i: ProcessEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...i.base };
  for (const addon of [...i.config.uses].reverse()) Object.assign(env, i.addons[addon] ?? {});
  for (const callee of i.config.calls) {
    const url = i.serviceUrls[callee];
    if (url) env[`${envName(callee)}_URL`] = url;
  }
  Object.assign(env, i.config.env);
  env.SLIPWAY_SERVICE = i.service;
  env.SLIPWAY_ENV = i.environment;
  env.SLIPWAY_RELEASE = `v${i.release}`;
  env.SLIPWAY_BUILD = i.build;
  if (i.port !== undefined) env.PORT = String(i.port);
  return env;
}

/** "rates-v2" → "RATES_V2": a name as it appears in env var names (anything else → "_"). */
export const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
