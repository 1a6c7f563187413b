import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "./context";
import { edgeOf } from "./environment/edge";

/** What `slipway status` shows: per environment, its URLs, releases, processes and add-ons. */
export async function statusView(ctx: Ctx) {
  const supervised = new Map(ctx.supervisor.list().map((p) => [p.id, p]));
  const active = await ctx.store.rollouts.active();
  const environments = [];
  for (const env of await ctx.store.environments.list()) {
    const releases = await ctx.store.releases.list(env.id);
    const live = releases.find((r) => r.id === env.liveReleaseId);
    const base = env.publicPort ? `http://127.0.0.1:${env.publicPort}` : null;
    const rollout = active.find((r) => r.environmentId === env.id);
    environments.push({
      name: env.name,
      desired: env.desired,
      url: base,
      routes: ctx.stack.routes.map((r) => ({
        path: r.path,
        service: r.service,
        url: base ? `${base}${r.path}` : null,
      })),
      live: live
        ? { release: live.number, build: live.buildId, description: live.description, at: live.createdAt }
        : null,
      rollout: rollout ? { id: rollout.id, kind: rollout.kind, phase: rollout.phase } : null,
      releases: releases.slice(0, 10).map((r) => ({
        release: r.number,
        build: r.buildId.slice(0, 12),
        config: r.configHash,
        job: r.jobStatus,
        description: r.description,
        live: r.id === env.liveReleaseId,
        at: r.createdAt,
      })),
      // Draining ones are shown too: out of traffic, finishing their requests and connections.
      processes: (await ctx.store.processes.forEnvironment(env.id))
        .filter((p) => p.desired === "running" || p.state === "draining")
        .map((p) => ({
          id: p.id,
          service: p.service,
          release: releases.find((r) => r.id === p.releaseId)?.number ?? null,
          pid: supervised.get(p.id)?.pid ?? p.pid,
          port: p.port,
          state: p.state === "draining" ? "draining" : (supervised.get(p.id)?.state ?? p.state),
          restarts: supervised.get(p.id)?.restarts ?? p.restarts,
        })),
      addons: (await ctx.store.environments.addons(env.id)).map((a) => ({
        name: a.name,
        kind: a.kind,
        port: a.port,
        pid: a.pid,
      })),
      traffic: await traffic(ctx, env),
      internalUrls: Object.fromEntries(
        Object.entries(env.internalPorts).map(([s, p]) => [s, `http://127.0.0.1:${p}`]),
      ),
    });
  }
  return { stack: ctx.stackId, dir: ctx.projectDir, environments };
}

/**
 * Per revision (edge server "v3-1"), what the edge saw: exact counters from HAProxy and
 * latency percentiles from its log stream.
 */
async function traffic(ctx: Ctx, env: EnvironmentRow) {
  const stats = await edgeOf(ctx, env)
    .stats()
    .catch(() => []);
  return stats.map((s) => ({
    service: s.backend,
    revision: s.server,
    status: s.status,
    weight: s.weight,
    inFlight: s.sessions,
    requests: s.requests,
    responses: s.responses,
    latencyMs: s.latency
      ? { p50: s.latency.p50Ms, p95: s.latency.p95Ms, p99: s.latency.p99Ms, samples: s.latency.samples }
      : null,
  }));
}
