import { describe, expect, it } from "vitest";
import type { ReleaseConfig } from "../release/config";
import { replicasAt, stableReplicasAt } from "./analysis";
import { planRollout, type RolloutSnapshot } from "./plan";
import { planStableWorkers, type StableProcess } from "./stable-workers";

const worker = (replicas: number) => ({ type: "worker" as const, replicas });
const config = (replicas: number) =>
  ({
    services: {
      worker: { ...worker(replicas), command: ["node", "w.mjs"] },
      api: { type: "web", replicas: 2 },
    },
  }) as unknown as ReleaseConfig;
const proc = (replica: number, state: "running" | "draining" | "gone"): StableProcess => ({
  id: `local/v1/worker/${replica}`,
  service: "worker",
  replica,
  running: state === "running",
  draining: state === "draining",
});

describe("stableReplicasAt", () => {
  it("gives the stable revision the complement of the canary's share, never below one under 100%", () => {
    const rows = [5, 25, 50, 75, 99, 100].map((w) => [
      w,
      replicasAt(worker(4), w),
      stableReplicasAt(worker(4), worker(4), w),
    ]);
    expect(rows).toEqual([
      [5, 1, 3],
      [25, 1, 3],
      [50, 2, 2],
      [75, 3, 1],
      [99, 4, 1],
      [100, 4, 0],
    ]);
    // One replica: both revisions run one (the queue keeps a consumer that is not the canary's).
    expect(stableReplicasAt(worker(1), worker(1), 50)).toBe(1);
  });

  it("leaves web services and a service the new release no longer has as a worker alone", () => {
    expect(stableReplicasAt({ type: "web", replicas: 3 }, { type: "web", replicas: 3 }, 50)).toBe(3);
    expect(stableReplicasAt(worker(3), undefined, 50)).toBe(3);
  });
});

describe("planStableWorkers", () => {
  it("retires the highest replicas as the canary grows", () => {
    const all = [proc(1, "running"), proc(2, "running"), proc(3, "running"), proc(4, "running")];
    expect(planStableWorkers(config(4), config(4), 50, all)).toEqual({
      start: [],
      retire: ["local/v1/worker/3", "local/v1/worker/4"],
      waiting: 0,
    });
  });

  it("starts every replica again with no canary share (an abort), waiting for any still draining", () => {
    const shrunk = [proc(1, "running"), proc(2, "gone"), proc(3, "draining")];
    expect(planStableWorkers(config(4), config(4), undefined, shrunk)).toEqual({
      start: [
        { service: "worker", replica: 2 },
        { service: "worker", replica: 4 },
      ],
      retire: [],
      waiting: 1,
    });
  });
});

describe("an aborting canary rollout", () => {
  const base: RolloutSnapshot = {
    phase: "aborting",
    kind: "deploy",
    build: "ready",
    job: "none",
    target: { wanted: 2, started: 0, healthy: 0, overdue: [], running: 0 },
  };
  const missing = planStableWorkers(config(2), config(2), undefined, [proc(1, "running"), proc(2, "gone")]);

  it("stops the canary first, then brings the stable workers back, then fails", () => {
    expect(planRollout({ ...base, target: { ...base.target, running: 2 }, stableWorkers: missing })).toEqual({
      do: "stop-target",
    });
    expect(planRollout({ ...base, stableWorkers: missing })).toEqual({ do: "restore-stable" });
    const full = planStableWorkers(config(2), config(2), undefined, [proc(1, "running"), proc(2, "running")]);
    expect(planRollout({ ...base, stableWorkers: full })).toEqual({ do: "move", to: "failed" });
  });

  it("waits for a stable worker that is still draining before it starts it again", () => {
    const draining = planStableWorkers(config(2), config(2), undefined, [
      proc(1, "running"),
      proc(2, "draining"),
    ]);
    expect(planRollout({ ...base, stableWorkers: draining })).toMatchObject({ do: "wait" });
  });
});
