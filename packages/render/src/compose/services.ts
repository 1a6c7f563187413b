import { envName, parseTemplate, type ServiceConfig, SlipwayError } from "@slipway/core";
import { APP_DIR, containerPort, releaseLabel, VOLUME_DIR } from "../container";
import type { RenderInput } from "../input";
import type { ComposeAddon } from "./addons";
import { composeHealthcheck } from "./health";
import { type ComposeService, type DependsOnCondition, duration, literal } from "./model";
import { CRON_PROFILE, dataVolume } from "./names";
import { composeLimits } from "./resources";

export interface ServiceContext {
  input: RenderInput;
  addons: Record<string, ComposeAddon>;
  /** NAME_URL of each service, by name: `http://api:8080`. */
  urls: Record<string, string>;
  /** The release job's name, which every other service waits for. */
  releaseJob: string | undefined;
  networks: string[];
}

/** One web, worker, cron or release service of the spec as a Compose service. */
export function composeService(name: string, service: ServiceConfig, ctx: ServiceContext): ComposeService {
  const { command, environment } = launch(name, service, ctx);
  const port = containerPort(service);
  const health = service.health && port !== undefined ? composeHealthcheck(service.health, port) : undefined;
  const longRunning = service.type === "web" || service.type === "worker";
  return {
    image: ctx.input.image,
    ...(service.type === "cron" ? { profiles: [CRON_PROFILE] } : {}),
    command,
    working_dir: APP_DIR,
    environment,
    labels: {
      "dev.slipway.stack": ctx.input.stack,
      "dev.slipway.env": ctx.input.env,
      "dev.slipway.service": name,
      "dev.slipway.release": releaseLabel(ctx.input.release.number),
      "dev.slipway.build": ctx.input.release.build,
    },
    ...dependsOn(service, name, ctx),
    ...(health ? { healthcheck: health } : {}),
    deploy: {
      ...(longRunning ? { replicas: service.replicas } : {}),
      resources: { limits: composeLimits(service.resources) },
    },
    restart: longRunning ? "unless-stopped" : "no",
    // node as PID 1 ignores SIGTERM unless the app handles it; an init forwards it.
    init: true,
    // As locally, where services cannot write their build: only /tmp and the volume are writable.
    read_only: true,
    tmpfs: ["/tmp"],
    cap_drop: ["ALL"],
    security_opt: ["no-new-privileges:true"],
    // SIGTERM, then SIGKILL after the spec's drain time.
    stop_grace_period: duration(service.drainSeconds),
    networks: ctx.networks,
    ...(service.volume ? { volumes: [`${dataVolume(name)}:${VOLUME_DIR}`] } : {}),
  };
}

/**
 * The argv and environment, as `processLaunch` builds them locally: the add-ons' connection env
 * (the first in `uses` keeps generic names), NAME_URL per called service, the service's env,
 * then SLIPWAY_* and PORT, which nothing overrides. `$(NAME)` is expanded now, to the same
 * values, so Compose never sees it; every other `$` is escaped for Compose.
 */
function launch(name: string, service: ServiceConfig, ctx: ServiceContext) {
  const shared: Record<string, string> = {};
  for (const addon of [...service.uses].reverse()) Object.assign(shared, ctx.addons[addon]?.env ?? {});
  for (const callee of service.calls) {
    const url = ctx.urls[callee];
    if (url) shared[`${envName(callee)}_URL`] = url;
  }
  const port = containerPort(service);
  const own: Record<string, string> = {
    SLIPWAY_SERVICE: name,
    SLIPWAY_ENV: ctx.input.env,
    SLIPWAY_RELEASE: releaseLabel(ctx.input.release.number),
    SLIPWAY_BUILD: ctx.input.release.build,
    ...(service.volume ? { SLIPWAY_VOLUME: VOLUME_DIR } : {}),
    ...(port !== undefined ? { PORT: String(port) } : {}),
  };
  const vars = { ...shared, ...own };
  const expand = (value: string, where: string) => expandReferences(value, vars, `services.${name}.${where}`);
  const userEnv = Object.fromEntries(Object.entries(service.env).map(([k, v]) => [k, expand(v, `env.${k}`)]));
  const environment = sortKeys({ ...shared, ...userEnv, ...own });
  return { command: service.command.map((arg, i) => expand(arg, `command[${i}]`)), environment };
}

/** `$(NAME)` → the variable's value (already written for Compose); the rest literal. */
function expandReferences(value: string, vars: Record<string, string>, field: string): string {
  const parsed = parseTemplate(value);
  const unknown = parsed.ok
    ? parsed.parts.flatMap((p) => ("ref" in p && !(p.ref in vars) ? [p.ref] : []))
    : [];
  if (!parsed.ok || unknown.length)
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      `${field}: ${parsed.ok ? `$(${unknown[0]}) is not a variable Slipway injects here` : parsed.error}`,
      `refer to one of ${Object.keys(vars).sort().join(", ")}; write $$( for a literal "$("`,
      { field },
    );
  return parsed.parts.map((p) => ("ref" in p ? vars[p.ref]! : literal(p.text))).join("");
}

function dependsOn(service: ServiceConfig, name: string, ctx: ServiceContext) {
  const deps: Record<string, { condition: DependsOnCondition }> = {};
  for (const addon of service.uses)
    for (const [dep, condition] of Object.entries(ctx.addons[addon]?.ready ?? {})) deps[dep] = { condition };
  // Every other service starts only after the release job (migrations) exited 0.
  if (ctx.releaseJob && ctx.releaseJob !== name)
    deps[ctx.releaseJob] = { condition: "service_completed_successfully" };
  return Object.keys(deps).length ? { depends_on: sortKeys(deps) } : {};
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
