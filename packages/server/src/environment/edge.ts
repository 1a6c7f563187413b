import {
  BEFORE_SWITCH,
  desiredServers,
  type EdgeConfig,
  type EdgeHealth,
  type EdgePort,
  type HealthConfig,
  haproxyStatusList,
  type ReleaseConfig,
  type RolloutPhase,
  statusRanges,
} from "@slipway/core";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";

/**
 * The edge as the store says it should be: routes and health checks of the live release
 * (a deploy that fails never changes how the live release is routed or checked), backends
 * for every web service a running release (or the rollout in flight) has, and their servers.
 * Before anything is live, the rollout in flight (or the config `requested` for one) says the
 * routes.
 */
export async function edgeConfig(
  ctx: Ctx,
  env: EnvironmentRow,
  requested?: ReleaseConfig,
): Promise<EdgeConfig> {
  const releases = await ctx.store.releases.list(env.id);
  const live = releases.find((r) => r.id === env.liveReleaseId)?.config;
  const inFlight = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id)?.config;
  const routes = live?.routes ?? inFlight?.routes ?? requested?.routes ?? [];
  const health = new Map<string, EdgeHealth | undefined>();
  // Oldest to newest, then the live release, so that the live release's checks win.
  for (const cfg of [...releases.reverse().map((r) => r.config), ...(live ? [live] : [])])
    for (const [name, s] of Object.entries(cfg.services))
      if (s.type === "web") health.set(name, edgeHealth(s.health));
  // Then web services only the rollout in flight, or the config about to be deployed, has.
  for (const cfg of [inFlight, requested])
    for (const [name, s] of Object.entries(cfg?.services ?? {}))
      if (s.type === "web" && !health.has(name)) health.set(name, edgeHealth(s.health));
  const servers = await serversOf(ctx, env);
  return {
    env: env.name,
    publicPort: env.publicPort!,
    routes: routes.map((r) => ({ ...(r.host ? { host: r.host } : {}), path: r.path, backend: r.service })),
    // By name: the services' order read back from the store's jsonb is not the spec's, and a
    // rendered config that differs only in order would make every restart reload HAProxy.
    backends: [...health]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, check]) => ({
        name,
        internalPort: env.internalPorts[name],
        ...(check ? { health: check } : {}),
        servers: servers[name] ?? [],
      })),
  };
}

/** The edge's check of a web service: as its spec says (a process-only check means none at the edge). */
export function edgeHealth(h: HealthConfig | undefined): EdgeHealth | undefined {
  const intervalSeconds = h?.intervalSeconds ?? 2;
  if (h?.kind === "process") return undefined;
  if (h?.kind === "tcp") return { kind: "tcp", intervalSeconds };
  return {
    kind: "http",
    path: h?.path ?? "/healthz",
    expectStatus: haproxyStatusList(statusRanges(h?.expect)),
    intervalSeconds,
  };
}

async function serversOf(ctx: Ctx, env: EnvironmentRow) {
  const releases = new Map((await ctx.store.releases.list(env.id)).map((r) => [r.id, r]));
  const active = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id);
  // Until its switch, a rollout's target takes no traffic (a restore's target is the live
  // release itself: it too waits for its health before the edge sends it anything).
  const pendingTarget =
    active?.toReleaseId && BEFORE_SWITCH.has(active.phase as RolloutPhase) ? active.toReleaseId : null;
  // A canary or blue/green target shares the backends at the weight its stored step says.
  const canary =
    active?.toReleaseId &&
    (active.phase === "analyzing" || active.phase === "switching") &&
    active.stepState &&
    active.toReleaseId !== env.liveReleaseId
      ? { releaseId: active.toReleaseId, weight: active.stepState.weight }
      : undefined;
  const web = (await ctx.store.processes.forEnvironment(env.id)).filter(
    (p) => p.port !== null && releases.get(p.releaseId)?.config.services[p.service]?.type === "web",
  );
  return desiredServers(
    web.map((p) => ({
      service: p.service,
      releaseId: p.releaseId,
      releaseNumber: releases.get(p.releaseId)!.number,
      replica: p.replica,
      port: p.port!,
      // Without a pid there is nothing to route to (not spawned yet, or found dead).
      status:
        p.pid === null
          ? "stopped"
          : p.desired === "running"
            ? "running"
            : p.state === "draining"
              ? "draining"
              : "stopped",
    })),
    env.liveReleaseId,
    pendingTarget ?? (active?.phase === "analyzing" && !canary ? (active.toReleaseId ?? null) : null),
    canary,
  );
}

/** The environment's edge (the driver hands back the same one for the same environment). */
export function edgeOf(ctx: Ctx, env: Pick<EnvironmentRow, "name" | "edgeLogPort">): EdgePort {
  return ctx.driver.edge({ env: env.name, ...(env.edgeLogPort ? { logPort: env.edgeLogPort } : {}) });
}

/** Starts or adopts the environment's HAProxy and converges it to the store (and `requested`). */
export async function ensureEdge(ctx: Ctx, env: EnvironmentRow, requested?: ReleaseConfig): Promise<void> {
  const { pid, adopted } = await edgeOf(ctx, env).ensure(await edgeConfig(ctx, env, requested));
  if (!adopted)
    await ctx.event({
      kind: "edge.started",
      subject: env.id,
      message: `edge listening on http://127.0.0.1:${env.publicPort}`,
      data: { pid },
    });
}

/** Applies the store's idea of every backend's servers through the runtime API (no reload). */
export async function syncEdge(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const config = await edgeConfig(ctx, env);
  const edge = edgeOf(ctx, env);
  for (const b of config.backends) await edge.setServers(b.name, b.servers);
}
