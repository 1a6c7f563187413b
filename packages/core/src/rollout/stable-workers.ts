import type { ReleaseConfig } from "../release/config";
import { stableReplicasAt } from "./analysis";

/**
 * The stable release's workers during a canary, as a pure plan: at `weight`% they run the
 * complement of the canary's share (`stableReplicasAt`), and with no canary share (the rollout
 * is aborting, or before the analysis) all their replicas. Replicas are numbered, so the
 * highest ones leave first and the same ones come back.
 */

/** One process of the stable release as the store records it. */
export interface StableProcess {
  id: string;
  service: string;
  replica: number;
  /** Meant to run, and running. */
  running: boolean;
  /** Left its share and still stopping: it cannot be started again until it is gone. */
  draining: boolean;
}

export interface StableWorkerPlan {
  /** Replicas to start (not running, not draining). */
  start: { service: string; replica: number }[];
  /** Running processes past the share, to retire (drained, then stopped). */
  retire: string[];
  /** Replicas wanted that cannot start yet because their process is still draining. */
  waiting: number;
}

export function planStableWorkers(
  stable: ReleaseConfig,
  target: ReleaseConfig | undefined,
  weight: number | undefined,
  processes: StableProcess[],
): StableWorkerPlan {
  const plan: StableWorkerPlan = { start: [], retire: [], waiting: 0 };
  for (const [service, cfg] of Object.entries(stable.services)) {
    if (cfg.type !== "worker") continue;
    const wanted =
      weight === undefined ? cfg.replicas : stableReplicasAt(cfg, target?.services[service], weight);
    const mine = processes.filter((p) => p.service === service);
    for (const p of mine) if (p.running && p.replica > wanted) plan.retire.push(p.id);
    for (let replica = 1; replica <= wanted; replica++) {
      const p = mine.find((x) => x.replica === replica);
      if (p?.running) continue;
      if (p?.draining) plan.waiting++;
      else plan.start.push({ service, replica });
    }
  }
  return plan;
}

/** Nothing to start, retire or wait for: the stable workers match the plan. */
export const stableWorkersInStep = (p: StableWorkerPlan): boolean =>
  !p.start.length && !p.retire.length && !p.waiting;
