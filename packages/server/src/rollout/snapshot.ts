import { longRunning, type RolloutPhase, type RolloutSnapshot } from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { observeJob } from "./release-job";

export interface RolloutWorld {
  rollout: RolloutRow;
  env: EnvironmentRow;
  target: ReleaseRow | undefined;
  /** Every recorded process of the target release, whatever its state. */
  targetProcesses: ProcessRow[];
  /** Processes of other releases that are meant to run (what the switch retires). */
  oldProcesses: ProcessRow[];
}

export async function observe(ctx: Ctx, rollout: RolloutRow): Promise<RolloutWorld> {
  const env = (await ctx.store.environments.list()).find((e) => e.id === rollout.environmentId)!;
  const target = rollout.toReleaseId ? await ctx.store.releases.getRelease(rollout.toReleaseId) : undefined;
  const all = await ctx.store.processes.forEnvironment(env.id);
  return {
    rollout,
    env,
    target,
    targetProcesses: all.filter((p) => p.releaseId === target?.id),
    oldProcesses: all.filter((p) => p.releaseId !== target?.id && p.desired === "running"),
  };
}

/** A process that runs, or is meant to: what an aborting rollout must still stop. */
export const stillThere = (p: ProcessRow) => p.desired === "running" || p.pid !== null;

/** Turns what the store and the drivers say into the plain data `planRollout` decides on. */
export async function snapshot(ctx: Ctx, w: RolloutWorld): Promise<RolloutSnapshot> {
  const config = w.target?.config;
  const wanted = config ? longRunning(config).reduce((n, [, s]) => n + s.replicas, 0) : 0;
  const started = w.targetProcesses.filter((p) => p.desired === "running" && p.pid !== null);
  const healthy = await Promise.all(started.map((p) => ctx.driver.runtime.waitHealthy(p.id, 300)));
  const phaseAgeMs = ctx.now() - Date.parse(w.rollout.updatedAt);
  const overdue = started
    .filter(
      (p, i) =>
        !healthy[i] && phaseAgeMs > 1000 * (config?.services[p.service]?.health?.timeoutSeconds ?? 60),
    )
    // Name what the last check saw, so "did not become healthy" says where it looked and why.
    .map((p) => `${p.id} (${ctx.driver.runtime.lastHealthCheck(p.id) ?? "not checked yet"})`);
  return {
    phase: w.rollout.phase as RolloutPhase,
    kind: w.rollout.kind,
    build: w.target ? "ready" : "missing",
    job: w.target ? await observeJob(ctx, w.env, w.target) : "pending",
    target: {
      wanted,
      started: started.length,
      healthy: healthy.filter(Boolean).length,
      overdue,
      running: w.targetProcesses.filter(stillThere).length,
    },
  };
}
