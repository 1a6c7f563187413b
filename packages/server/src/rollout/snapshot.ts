import {
  longRunning,
  type ReleaseConfig,
  type RolloutPhase,
  type RolloutSnapshot,
  serverName,
} from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { edgeOf } from "../environment/edge";
import { observeJob } from "./release-job";

export interface RolloutWorld {
  rollout: RolloutRow;
  env: EnvironmentRow;
  target: ReleaseRow | undefined;
  targetProcesses: ProcessRow[];
  oldProcesses: ProcessRow[];
}

export async function observe(ctx: Ctx, rollout: RolloutRow): Promise<RolloutWorld> {
  const env = (await ctx.store.environments.list()).find((e) => e.id === rollout.environmentId)!;
  const target = rollout.toReleaseId ? await ctx.store.releases.getRelease(rollout.toReleaseId) : undefined;
  const running = (await ctx.store.processes.forEnvironment(env.id)).filter((p) => p.desired === "running");
  return {
    rollout,
    env,
    target,
    targetProcesses: running.filter((p) => p.releaseId === target?.id),
    oldProcesses: running.filter((p) => p.releaseId !== target?.id),
  };
}

/** Turns what the store and the drivers say into the plain data `planRollout` decides on. */
export async function snapshot(ctx: Ctx, w: RolloutWorld): Promise<RolloutSnapshot> {
  const config = w.target?.config as ReleaseConfig | undefined;
  const wanted = config ? longRunning(config).reduce((n, [, s]) => n + s.replicas, 0) : 0;
  const started = w.targetProcesses.filter((p) => p.pid !== null);
  const healthy = await Promise.all(started.map((p) => ctx.supervisor.waitHealthy(p.id, 300)));
  const phaseAgeMs = ctx.now() - Date.parse(w.rollout.updatedAt);
  const overdue = started
    .filter(
      (p, i) =>
        !healthy[i] && phaseAgeMs > 1000 * (config?.services[p.service]?.health?.timeoutSeconds ?? 60),
    )
    // Name what the last check saw, so "did not become healthy" says where it looked and why.
    .map((p) => `${p.id} (${ctx.supervisor.lastHealthCheck(p.id) ?? "not checked yet"})`);
  return {
    phase: w.rollout.phase as RolloutPhase,
    kind: w.rollout.kind,
    build: w.target ? "ready" : "missing",
    job: w.target ? await observeJob(ctx, w.env, w.target) : "pending",
    target: { wanted, started: started.length, healthy: healthy.filter(Boolean).length, overdue },
    switched: !!w.target && w.env.liveReleaseId === w.target.id,
    oldInFlight: await inFlight(ctx, w),
    oldRunning: w.oldProcesses.length,
    phaseAgeMs,
    drainTimeoutMs: 1000 * (await drainSeconds(ctx, w)),
  };
}

/** The longest drain any old process asked for (its service's `drainSeconds`). */
async function drainSeconds(ctx: Ctx, w: RolloutWorld): Promise<number> {
  let max = 0;
  for (const p of w.oldProcesses) {
    const rel = await ctx.store.releases.getRelease(p.releaseId);
    max = Math.max(max, (rel?.config as ReleaseConfig | undefined)?.services[p.service]?.drainSeconds ?? 30);
  }
  return max;
}

async function inFlight(ctx: Ctx, w: RolloutWorld): Promise<number> {
  if (!w.oldProcesses.length) return 0;
  const releases = new Map((await ctx.store.releases.list(w.env.id)).map((r) => [r.id, r.number]));
  const edge = edgeOf(ctx, w.env);
  let n = 0;
  for (const service of new Set(w.oldProcesses.map((p) => p.service))) {
    const sessions = await edge.sessions(service).catch(() => ({}) as Record<string, number>);
    for (const p of w.oldProcesses.filter((x) => x.service === service))
      n += sessions[serverName(releases.get(p.releaseId) ?? 0, p.replica)] ?? 0;
  }
  return n;
}
