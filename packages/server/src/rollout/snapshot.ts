import {
  type CanarySnapshot,
  initialWeight,
  type JobOutcome,
  longRunning,
  planStableWorkers,
  type ReleaseConfig,
  type RolloutPhase,
  type RolloutSnapshot,
  replicasAt,
  type ServerStats,
  type ServiceCounters,
  type StableProcess,
  serviceCounters,
  stableWorkersInStep,
} from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { edgeConfig, edgeOf } from "../environment/edge";
import { jobCounters } from "./job-stats";
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
  /** A canary or blue/green deploy: what its analysis looks at (see `observeCanary`). */
  canary?: CanaryWorld;
}

export interface CanaryWorld {
  rollout: NonNullable<ReleaseConfig["rollout"]>;
  /** The live release the new one is compared with. */
  stable: ReleaseRow;
  /** Only while analyzing: the edge's per-server counters, or why they could not be read. */
  stats?: ServerStats[] | { error: string };
  /** Only while analyzing: each worker's jobs per revision, as the workers reported them. */
  jobs?: Record<string, ServiceCounters>;
  /** The stable release's processes (its workers give the canary their share of the queue). */
  stableProcesses: StableProcess[];
  /** Restarts of each running process of the target, by id. */
  restarts: Record<string, number>;
  /** The edge's weights are those the stored step state asks for. */
  edgeInStep: boolean;
  /** The release's probes, run by this tick because its step would advance (see the executor), as one verdict. */
  probes?: CanarySnapshot["probes"];
}

/** A deploy over a live release with a canary or blue/green strategy; rollbacks and restores go direct. */
export function canaryRollout(rollout: RolloutRow, env: EnvironmentRow) {
  const r = rollout.config?.rollout;
  const applies = rollout.kind === "deploy" && env.liveReleaseId && r && r.strategy.kind !== "direct";
  return applies ? r : undefined;
}

/** A process that runs, or is meant to: what an aborting rollout must still stop. */
export const stillThere = (p: ProcessRow) => p.desired === "running" || p.pid !== null;
const started = (p: ProcessRow) => p.desired === "running" && p.pid !== null;

/** Reads the store and asks the target what it sees; writes nothing, anywhere. */
export async function observe(ctx: Ctx, rollout: RolloutRow): Promise<RolloutWorld> {
  const env = (await ctx.store.environments.byId(rollout.environmentId))!;
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
  const strategy = canaryRollout(rollout, env);
  const stable = strategy ? await ctx.store.releases.getRelease(env.liveReleaseId!) : undefined;
  return {
    rollout,
    env,
    target,
    targetProcesses,
    oldProcesses: all.filter((p) => p.releaseId !== target?.id && p.desired === "running"),
    health: new Map(health),
    jobOutcome: target?.jobStatus === "running" ? runtime.jobOutcome(jobRef(ctx, env, target)) : undefined,
    ...(strategy && stable
      ? {
          canary: await observeCanary(ctx, rollout, env, targetProcesses, strategy, stable, target, all),
        }
      : {}),
  };
}

/** While analyzing: the edge's counters and weights, and how often each target process restarted. */
async function observeCanary(
  ctx: Ctx,
  rollout: RolloutRow,
  env: EnvironmentRow,
  targetProcesses: ProcessRow[],
  strategy: CanaryWorld["rollout"],
  stable: ReleaseRow,
  target: ReleaseRow | undefined,
  all: ProcessRow[],
): Promise<CanaryWorld> {
  const stableProcesses = all
    .filter((p) => p.releaseId === stable.id)
    .map((p) => ({
      id: p.id,
      service: p.service,
      replica: p.replica,
      running: started(p),
      draining: p.desired === "stopped" && p.pid !== null,
    }));
  if (rollout.phase !== "analyzing")
    return { rollout: strategy, stable, restarts: {}, edgeInStep: true, stableProcesses };
  const mine = new Set(targetProcesses.filter(started).map((p) => p.id));
  const restarts = Object.fromEntries(
    ctx.driver.runtime
      .list()
      .filter((p) => mine.has(p.id))
      .map((p) => [p.id, p.restarts]),
  );
  const budget = strategy.policy.latency?.budgetMs;
  // A metric source that fails is data: the judgement is inconclusive, never a crash.
  const stats = await edgeOf(ctx, env)
    .stats(budget !== undefined ? { latencyBudgetMs: budget } : {})
    .catch((e: unknown) => ({ error: `the edge's stats could not be read: ${(e as Error)?.message ?? e}` }));
  const desired = (await edgeConfig(ctx, env)).backends;
  const edgeInStep =
    "error" in stats ||
    desired.every((b) =>
      b.servers
        .filter((s) => s.state === "ready")
        .every((s) =>
          stats.some((r) => r.backend === b.name && r.server === s.name && r.weight === s.weight),
        ),
    );
  const jobs = target ? await jobCounters(ctx, target.config, stable, target) : {};
  return { rollout: strategy, stable, stats, jobs, restarts, edgeInStep, stableProcesses };
}

/** The share of traffic (and of each worker's replicas) the target has now: 100 unless a canary. */
export function targetWeight(w: RolloutWorld): number {
  return w.canary ? (w.rollout.stepState?.weight ?? initialWeight(w.canary.rollout.strategy)) : 100;
}

/** Turns a world into the plain data `planRollout` decides on. Pure. */
export function snapshot(w: RolloutWorld, now: number): RolloutSnapshot {
  const config = w.target?.config;
  const weight = targetWeight(w);
  const wanted = config ? longRunning(config).reduce((n, [, s]) => n + replicasAt(s, weight), 0) : 0;
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
    ...(w.canary ? { canary: canarySnapshot(w, w.canary, up.length >= wanted) } : {}),
    ...(w.canary && w.rollout.phase === "aborting" ? { stableWorkers: stableWorkers(w, w.canary) } : {}),
  };
}

/** What the stable release's workers lack or have too many of: at the step's weight while analyzing, else all. */
function stableWorkers(w: RolloutWorld, c: CanaryWorld) {
  const weight = w.rollout.phase === "analyzing" ? targetWeight(w) : undefined;
  return planStableWorkers(c.stable.config, w.target?.config, weight, c.stableProcesses);
}

function canarySnapshot(w: RolloutWorld, c: CanaryWorld, allStarted: boolean): CanarySnapshot {
  const web = Object.entries(w.target?.config.services ?? {}).filter(([, s]) => s.type === "web");
  const stats = c.stats;
  const counters = Object.fromEntries(
    web.map(([name]) => [
      name,
      !stats || "error" in stats
        ? { stable: { error: stats?.error ?? "not read" }, canary: { error: stats?.error ?? "not read" } }
        : serviceCounters(stats, name, c.stable.number, w.target!.number),
    ]),
  );
  return {
    strategy: c.rollout.strategy,
    policy: c.rollout.policy,
    state: w.rollout.stepState ?? undefined,
    ...(w.rollout.command ? { command: w.rollout.command } : {}),
    counters,
    ...(c.rollout.jobPolicy ? { jobPolicy: c.rollout.jobPolicy } : {}),
    ...(c.jobs ? { jobCounters: c.jobs } : {}),
    restarts: c.restarts,
    converged: allStarted && c.edgeInStep && stableWorkersInStep(stableWorkers(w, c)),
    ...(c.probes ? { probes: c.probes } : {}),
  };
}
