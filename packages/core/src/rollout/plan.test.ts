import { describe, expect, it } from "vitest";
import { planRollout, type RolloutSnapshot } from "./plan";

const base: RolloutSnapshot = {
  phase: "pending",
  kind: "deploy",
  build: "missing",
  job: "pending",
  target: { wanted: 2, started: 0, healthy: 0, overdue: [] },
  switched: false,
  oldInFlight: 0,
  oldRunning: 1,
  phaseAgeMs: 0,
  drainTimeoutMs: 30_000,
};
const at = (patch: Partial<RolloutSnapshot>) => planRollout({ ...base, ...patch });

describe("planRollout", () => {
  it("builds, runs the release job, then starts the target", () => {
    expect(at({})).toEqual({ do: "move", to: "building" });
    expect(at({ phase: "building" })).toEqual({ do: "build" });
    expect(at({ phase: "building", build: "building" })).toMatchObject({ do: "wait" });
    expect(at({ phase: "building", build: "ready" })).toEqual({ do: "move", to: "releasing" });
    expect(at({ phase: "releasing", build: "ready" })).toEqual({ do: "run-release-job" });
    expect(at({ phase: "releasing", job: "running" })).toMatchObject({ do: "wait" });
    expect(at({ phase: "releasing", job: "succeeded" })).toEqual({ do: "move", to: "starting" });
  });

  it("skips the release job when the release has none (a rollback)", () => {
    expect(at({ phase: "building", build: "ready", job: "none", kind: "rollback" })).toEqual({
      do: "move",
      to: "starting",
    });
  });

  it("never moves traffic when the release job fails", () => {
    expect(at({ phase: "releasing", job: "failed" })).toMatchObject({
      do: "fail",
      code: "SLW_RELEASE_JOB_FAILED",
    });
    expect(at({ phase: "building", build: "failed" })).toMatchObject({
      do: "fail",
      code: "SLW_BUILD_FAILED",
    });
  });

  it("switches only once every wanted replica is healthy", () => {
    const starting = { phase: "starting" as const, job: "succeeded" as const };
    expect(at({ ...starting })).toEqual({ do: "start-target" });
    expect(at({ ...starting, target: { wanted: 2, started: 2, healthy: 1, overdue: [] } })).toMatchObject({
      do: "wait",
    });
    expect(at({ ...starting, target: { wanted: 2, started: 2, healthy: 2, overdue: [] } })).toEqual({
      do: "move",
      to: "switching",
    });
  });

  it("abandons the target when a process stays unhealthy past its health timeout", () => {
    const target = { wanted: 2, started: 2, healthy: 1, overdue: ["local/v2/api/1"] };
    expect(at({ phase: "starting", target })).toEqual({
      do: "abandon",
      code: "SLW_UNHEALTHY",
      reason: "local/v2/api/1 did not become healthy within its health timeout",
    });
  });

  it("drains in-flight requests before stopping the old release, up to the drain timeout", () => {
    expect(at({ phase: "switching" })).toEqual({ do: "switch-traffic" });
    expect(at({ phase: "switching", switched: true })).toEqual({ do: "move", to: "draining" });
    expect(at({ phase: "draining", oldInFlight: 3 })).toMatchObject({ do: "wait" });
    expect(at({ phase: "draining", oldInFlight: 3, phaseAgeMs: 31_000 })).toEqual({ do: "stop-old" });
    expect(at({ phase: "draining", oldInFlight: 0 })).toEqual({ do: "stop-old" });
    expect(at({ phase: "draining", oldRunning: 0 })).toEqual({ do: "move", to: "succeeded" });
  });

  it("always terminates: from any phase, repeating the planned step reaches a terminal phase", () => {
    // A tiny simulation: each step changes the snapshot the way a healthy world would.
    let s: RolloutSnapshot = { ...base };
    for (let i = 0; i < 50 && s.phase !== "succeeded"; i++) {
      const step = planRollout(s);
      if (step.do === "move") s = { ...s, phase: step.to, phaseAgeMs: 0 };
      else if (step.do === "build") s = { ...s, build: "ready" };
      else if (step.do === "run-release-job") s = { ...s, job: "succeeded" };
      else if (step.do === "start-target")
        s = { ...s, target: { wanted: 2, started: 2, healthy: 2, overdue: [] } };
      else if (step.do === "switch-traffic") s = { ...s, switched: true };
      else if (step.do === "stop-old") s = { ...s, oldRunning: 0 };
    }
    expect(s.phase).toBe("succeeded");
  });
});
