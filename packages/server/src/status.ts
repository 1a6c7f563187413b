import { cronServices, nextFire, overdueSecrets } from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import { protectionStatus } from "./backup/operations";
import type { Ctx } from "./context";
import { edgeOf } from "./environment/edge";
import { volumePath } from "./environment/processes";
import { newestVersions } from "./secrets/publish";

/** What `slipway status` shows: per environment, its URLs, releases, processes and add-ons. */
export async function statusView(ctx: Ctx) {
  const supervised = new Map(ctx.driver.runtime.list().map((p) => [p.id, p]));
  const active = await ctx.store.rollouts.active();
  const environments = [];
  const origin = ctx.edgeOrigin ?? "http://127.0.0.1";
  for (const env of await ctx.store.environments.list()) {
    const releases = await ctx.store.releases.list(env.id);
    const live = releases.find((r) => r.id === env.liveReleaseId);
    const base = env.publicPort ? `${origin}:${env.publicPort}` : null;
    const rollout = active.find((r) => r.environmentId === env.id);
    environments.push({
      name: env.name,
      desired: env.desired,
      url: base,
      // The live release's routes; before anything is live, those of the rollout bringing it.
      routes:
        (live?.config ?? rollout?.config)?.routes.map((r) => routeView(r, origin, env.publicPort)) ?? [],
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
      cron: await cronStatus(ctx, env, live),
      backups: await protectionStatus(ctx, env),
      volumes: volumes(ctx, env, live),
      // Names and ages only: `slipway secrets list` has the rest.
      secretsOverdue: overdueSecrets(live?.config.secrets, await newestVersions(ctx, env.id), ctx.now()),
      traffic: await traffic(ctx, env),
      internalUrls: Object.fromEntries(
        Object.entries(env.internalPorts).map(([s, p]) => [s, `http://127.0.0.1:${p}`]),
      ),
    });
  }
  return { stack: ctx.stackId, dir: ctx.projectDir, environments };
}

/** Per cron service of the live release: its schedule, last run (not skipped) and next run. */
async function cronStatus(ctx: Ctx, env: EnvironmentRow, live: ReleaseRow | undefined) {
  if (!live) return [];
  const last = new Map((await ctx.store.cronRuns.lastRuns(env.id)).map((r) => [r.service, r]));
  const now = new Date(ctx.now());
  return cronServices(live.config).map(([service, cfg]) => {
    const run = last.get(service);
    const ended = run?.endedAt ? Date.parse(run.endedAt) : undefined;
    return {
      service,
      schedule: cfg.schedule,
      lastRun: run
        ? {
            slot: run.slot,
            startedAt: run.startedAt,
            state: run.state,
            exitCode: run.exitCode,
            durationMs: run.startedAt && ended !== undefined ? ended - Date.parse(run.startedAt) : null,
          }
        : null,
      nextRun: env.desired === "active" ? nextFire(cfg.schedule, now).toISOString() : null,
    };
  });
}

/** Services of the live release with a persistent directory, and where it is. */
function volumes(ctx: Ctx, env: EnvironmentRow, live: ReleaseRow | undefined) {
  if (!live) return [];
  return Object.entries(live.config.services)
    .filter(([, s]) => s.volume)
    .map(([service]) => ({ service, path: volumePath(ctx, env.name, service) }));
}

/**
 * A route and a URL that reaches it. A host route's URL names its host, which only resolves
 * where DNS or /etc/hosts points it here; `curl` reaches it through the edge in any case
 * (the edge matches the Host header, ignoring the port).
 */
function routeView(
  r: { path: string; host?: string | undefined; service: string },
  origin: string,
  port: number | null,
) {
  const edge = port ? `${origin}:${port}${r.path}` : null;
  const scheme = origin.slice(0, origin.indexOf(":"));
  return {
    path: r.path,
    host: r.host ?? null,
    service: r.service,
    url: port && r.host ? `${scheme}://${r.host}:${port}${r.path}` : edge,
    curl: edge ? `curl ${r.host ? `-H 'Host: ${r.host}' ` : ""}${edge}` : null,
  };
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
