import { type JobOutcome, longRunning, type RolloutPhase, type RolloutSnapshot } from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { jobRef } from "./release-job";

/** How long one look gives a process's readiness check to answer (a check, not a wait for health). */
const PROBE_MS = 300;

/** What one tick knows: the store's records and what the target says now. */
export interface RolloutWorld {
  rollout: RolloutRow;
  env: EnvironmentRow;
  target: ReleaseRow | undefined;
  /** Every recorded process of the target release, whatever its state. */
  targetProcesses: ProcessRow[];
  /** Processes of other releases that are meant to run (what the switch retires). */
  oldProcesses: ProcessRow[];
  /** Readiness of each started target process, by id, with what its last check saw. */
  health: Map<string, { healthy: boolean; lastCheck: string | undefined }>;
  /** What the target says of the release job while the store says it runs. */
  jobOutcome: JobOutcome | undefined;
}

/** A process that runs, or is meant to: what an aborting rollout must still stop. */
export const stillThere = (p: ProcessRow) => p.desired === "running" || p.pid !== null;
const started = (p: ProcessRow) => p.desired === "running" && p.pid !== null;

/** Reads the store and asks the target what it sees; writes nothing, anywhere. */
export async function observe(ctx: Ctx, rollout: RolloutRow): Promise<RolloutWorld> {
  const env = (await ctx.store.environments.list()).find((e) => e.id === rollout.environmentId)!;
  const target = rollout.toReleaseId ? await ctx.store.releases.getRelease(rollout.toReleaseId) : undefined;
  const all = await ctx.store.processes.forEnvironment(env.id);
  const targetProcesses = all.filter((p) => p.releaseId === target?.id);
  const { runtime } = ctx.driver;
  const health = await Promise.all(
    targetProcesses.filter(started).map(async (p) => {
      const healthy = await runtime.waitHealthy(p.id, PROBE_MS);
      return [p.id, { healthy, lastCheck: runtime.lastHealthCheck(p.id) }] as const;
    }),
  );
  return {
    rollout,
    env,
    target,
    targetProcesses,
    oldProcesses: all.filter((p) => p.releaseId !== target?.id && p.desired === "running"),
    health: new Map(health),
    jobOutcome: target?.jobStatus === "running" ? runtime.jobOutcome(jobRef(ctx, env, target)) : undefined,
  };
}

/** Turns a world into the plain data `planRollout` decides on. Pure. */
export function snapshot(w: RolloutWorld, now: number): RolloutSnapshot {
  const config = w.target?.config;
  const wanted = config ? longRunning(config).reduce((n, [, s]) => n + s.replicas, 0) : 0;
  const up = w.targetProcesses.filter(started);
  const phaseAgeMs = now - Date.parse(w.rollout.updatedAt);
  const overdue = up
    .filter(
      (p) =>
        !w.health.get(p.id)?.healthy &&
        phaseAgeMs > 1000 * (config?.services[p.service]?.health?.timeoutSeconds ?? 60),
    )
    // Name what the last check saw, so "did not become healthy" says where it looked and why.
    .map((p) => `${p.id} (${w.health.get(p.id)?.lastCheck ?? "not checked yet"})`);
  return {
    phase: w.rollout.phase as RolloutPhase,
    kind: w.rollout.kind,
    build: w.target ? "ready" : "missing",
    job: w.target?.jobStatus ?? "pending",
    ...(w.jobOutcome ? { jobOutcome: w.jobOutcome } : {}),
    target: {
      wanted,
      started: up.length,
      healthy: up.filter((p) => w.health.get(p.id)?.healthy).length,
      overdue,
      running: w.targetProcesses.filter(stillThere).length,
    },
  };
}
