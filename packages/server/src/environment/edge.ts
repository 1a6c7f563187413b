import { desiredServers, type ReleaseConfig } from "@slipway/core";
import { HaproxyEdge, type EdgeConfig } from "@slipway/driver-local";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";

/** Web services that get an edge backend: those of the current spec and of running releases. */
async function webServices(ctx: Ctx, env: EnvironmentRow): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, s] of Object.entries(ctx.stack.services))
    if (s.type === "web") out.set(name, s.health?.path ?? "/healthz");
  for (const r of await ctx.store.releases.list(env.id)) {
    for (const [name, s] of Object.entries((r.config as ReleaseConfig).services))
      if (s.type === "web" && !out.has(name)) out.set(name, s.health?.path ?? "/healthz");
  }
  return out;
}

/** The whole edge as the store says it should be, for render and convergence. */
export async function edgeConfig(ctx: Ctx, env: EnvironmentRow): Promise<EdgeConfig> {
  const servers = await serversOf(ctx, env);
  const services = await webServices(ctx, env);
  return {
    env: env.name,
    publicPort: env.publicPort!,
    routes: ctx.stack.routes.map((r) => ({ ...(r.host ? { host: r.host } : {}), path: r.path, backend: r.service })),
    backends: [...services].map(([name, healthPath]) => ({
      name,
      internalPort: env.internalPorts[name],
      healthPath,
      servers: servers[name] ?? [],
    })),
  };
}

async function serversOf(ctx: Ctx, env: EnvironmentRow) {
  const releases = new Map((await ctx.store.releases.list(env.id)).map((r) => [r.id, r]));
  const active = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id);
  const pendingTarget = active?.toReleaseId && active.toReleaseId !== env.liveReleaseId ? active.toReleaseId : null;
  const web = (await ctx.store.processes.forEnvironment(env.id)).filter(
    (p) => p.port !== null && (releases.get(p.releaseId)?.config as ReleaseConfig)?.services[p.service]?.type === "web",
  );
  return desiredServers(
    web.map((p) => ({
      service: p.service,
      releaseId: p.releaseId,
      releaseNumber: releases.get(p.releaseId)!.number,
      replica: p.replica,
      port: p.port!,
      desired: p.desired,
    })),
    env.liveReleaseId,
    pendingTarget,
  );
}

export function edgeOf(ctx: Ctx, env: string): HaproxyEdge {
  let edge = ctx.edges.get(env);
  if (!edge) {
    edge = new HaproxyEdge({ stateDir: ctx.paths.env(env).edge, runAs: ctx.runAs });
    ctx.edges.set(env, edge);
  }
  return edge;
}

/** Starts or adopts the environment's HAProxy and converges it to the store. */
export async function ensureEdge(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const { pid, adopted } = await edgeOf(ctx, env.name).ensure(await edgeConfig(ctx, env));
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
  const edge = edgeOf(ctx, env.name);
  for (const b of config.backends) await edge.setServers(b.name, b.servers);
}
