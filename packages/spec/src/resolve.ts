import { SlipwayError } from "@slipway/core";
import {
  type Health,
  LONG_RUNNING,
  type Resources,
  type Scale,
  type Service,
  type ServiceOverride,
  type Stack,
} from "./schema";

/** A web service with no health block: GET /healthz must answer 2xx within 60 s, then is checked every 2 s. */
export const DEFAULT_HEALTH: Health = {
  kind: "http",
  path: "/healthz",
  intervalSeconds: 2,
  timeoutSeconds: 60,
};
/** Web and worker services run one instance unless the spec or the environment says otherwise. */
export const DEFAULT_SCALE: Scale = { min: 1, max: 1 };
/**
 * Release and cron services are jobs: nothing is kept running between runs and each run starts
 * exactly one instance, so their scale is always 0..0 (the schema refuses a scale on them).
 */
export const JOB_SCALE: Scale = { min: 0, max: 0 };

/** A service as it runs in one environment: overrides applied, defaults filled. */
export interface ResolvedService extends Omit<Service, "scale" | "health" | "resources"> {
  name: string;
  scale: Scale;
  /** As the spec or the environment gives it; targets that enforce resources default it (DEFAULT_RESOURCES). */
  resources: Resources | undefined;
  /** Always set for `web`; for other types, as the spec gives it. */
  health: Health | undefined;
}

/**
 * The effective services of environment `env`, in spec order: the environment's env vars merged
 * over the service's (the environment wins), its scale replacing the service's.
 * @throws SlipwayError SLW_NOT_FOUND when the stack has no such environment.
 * @example resolveServices(stack, "prod").find((s) => s.name === "api")?.scale // { min: 2, max: 6 }
 */
export function resolveServices(stack: Stack, env: string): ResolvedService[] {
  const environment = Object.hasOwn(stack.environments, env) ? stack.environments[env] : undefined;
  if (!environment) {
    const known = Object.keys(stack.environments);
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no environment named ${JSON.stringify(env)} in stack ${JSON.stringify(stack.name)}`,
      `use one of: ${known.join(", ")}`,
      { environment: env, environments: known },
    );
  }
  return Object.entries(stack.services).map(([name, service]) =>
    resolveService(
      name,
      service,
      Object.hasOwn(environment.services, name) ? environment.services[name] : undefined,
    ),
  );
}

function resolveService(
  name: string,
  service: Service,
  override: ServiceOverride | undefined,
): ResolvedService {
  return {
    ...service,
    name,
    command: [...service.command],
    uses: [...service.uses],
    calls: [...service.calls],
    env: { ...service.env, ...override?.env },
    scale: LONG_RUNNING.has(service.type)
      ? { ...(override?.scale ?? service.scale ?? DEFAULT_SCALE) }
      : { ...JOB_SCALE },
    health: service.type === "web" ? resolveHealth(service.health) : undefined,
    resources: override?.resources ?? service.resources,
  };
}

/** An HTTP check gets the default path; other kinds have none. */
function resolveHealth(health: Health | undefined): Health {
  if (!health) return { ...DEFAULT_HEALTH };
  const { path, ...rest } = health;
  return health.kind === "http" ? { ...rest, path: path ?? "/healthz" } : rest;
}
