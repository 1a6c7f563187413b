import { describe, expect, it } from "vitest";
import { planRollout, type RolloutSnapshot } from "./plan";

const base: RolloutSnapshot = {
  phase: "pending",
  kind: "deploy",
  build: "missing",
  job: "pending",
  target: { wanted: 2, started: 0, healthy: 0, overdue: [], running: 0 },
};
const at = (patch: Partial<RolloutSnapshot>) => planRollout({ ...base, ...patch });
const target = (t: Partial<RolloutSnapshot["target"]>) => ({ ...base.target, ...t });

describe("planRollout", () => {
  it("builds, runs the release job, then starts the target", () => {
    expect(at({})).toEqual({ do: "move", to: "building" });
    expect(at({ phase: "building" })).toEqual({ do: "build" });
    expect(at({ phase: "building", build: "building" })).toMatchObject({ do: "wait" });
    expect(at({ phase: "building", build: "ready" })).toEqual({ do: "move", to: "releasing" });
    expect(at({ phase: "releasing", build: "ready" })).toEqual({ do: "run-release-job" });
    expect(at({ phase: "releasing", job: "running" })).toMatchObject({ do: "wait" });
    expect(
      at({ phase: "releasing", job: "running", jobOutcome: { state: "running", pid: 7 } }),
    ).toMatchObject({
      do: "wait",
    });
    expect(at({ phase: "releasing", job: "succeeded" })).toEqual({ do: "move", to: "starting" });
  });

  it("writes the release job's outcome down once it ended; one that vanished is never run again", () => {
    const running = { phase: "releasing" as const, job: "running" as const };
    expect(at({ ...running, jobOutcome: { state: "exited", code: 0 } })).toEqual({
      do: "record-job",
      exit: 0,
    });
    expect(at({ ...running, jobOutcome: { state: "exited", code: 3 } })).toEqual({
      do: "record-job",
      exit: 3,
    });
    expect(at({ ...running, jobOutcome: { state: "unknown" } })).toEqual({ do: "record-job", exit: null });
    // Recorded as running, but we died before it was started: it is started now.
    expect(at({ ...running, jobOutcome: { state: "not-started" } })).toEqual({ do: "run-release-job" });
  });

  it("an aborting rollout stops its release job before anything else, and records how it ended", () => {
    const aborting = { phase: "aborting" as const, job: "running" as const, target: target({ running: 1 }) };
    expect(at({ ...aborting, jobOutcome: { state: "running", pid: 7 } })).toEqual({ do: "stop-job" });
    expect(at({ ...aborting, jobOutcome: { state: "exited", code: 143 } })).toEqual({
      do: "record-job",
      exit: 143,
    });
    expect(at({ ...aborting, job: "failed" })).toEqual({ do: "stop-target" });
  });

  it("skips the release job when the release has none (a rollback, a restore)", () => {
    for (const kind of ["rollback", "restore"] as const)
      expect(at({ phase: "building", build: "ready", job: "none", kind })).toEqual({
        do: "move",
        to: "starting",
      });
  });

  it("never moves traffic when the build or the release job fails: it aborts", () => {
    expect(at({ phase: "releasing", job: "failed" })).toMatchObject({
      do: "abort",
      code: "SLW_RELEASE_JOB_FAILED",
    });
    expect(at({ phase: "building", build: "failed" })).toMatchObject({
      do: "abort",
      code: "SLW_BUILD_FAILED",
    });
  });

  it("switches only once every wanted replica is healthy", () => {
    const starting = { phase: "starting" as const, job: "succeeded" as const };
    expect(at({ ...starting })).toEqual({ do: "start-target" });
    expect(at({ ...starting, target: target({ started: 2, healthy: 1, running: 2 }) })).toMatchObject({
      do: "wait",
    });
    expect(at({ ...starting, target: target({ started: 2, healthy: 2, running: 2 }) })).toEqual({
      do: "move",
      to: "switching",
    });
  });

  it("aborts when a process stays unhealthy past its health timeout, saying why", () => {
    const overdue = ["local/v2/api/1 (http://127.0.0.1:4100/healthz answered 503)"];
    expect(at({ phase: "starting", target: target({ started: 2, healthy: 1, overdue }) })).toEqual({
      do: "abort",
      code: "SLW_UNHEALTHY",
      reason: `${overdue[0]} did not become healthy within its health timeout`,
    });
  });

  it("switching is one idempotent step; the old release drains outside the rollout", () => {
    expect(at({ phase: "switching" })).toEqual({ do: "switch-traffic" });
    // Rollouts an earlier version left in `draining` finish at once.
    expect(at({ phase: "draining" })).toEqual({ do: "move", to: "succeeded" });
  });

  it("marks a rollout failed only once nothing of its target runs", () => {
    expect(at({ phase: "aborting", target: target({ running: 1 }) })).toEqual({ do: "stop-target" });
    expect(at({ phase: "aborting", target: target({ running: 0 }) })).toEqual({ do: "move", to: "failed" });
    // A failed restore never stops the live release's processes that do run.
    expect(at({ phase: "aborting", kind: "restore", target: target({ running: 3 }) })).toEqual({
      do: "move",
      to: "failed",
    });
  });

  it("always terminates: repeating the planned step reaches a terminal phase, healthy or not", () => {
    // A tiny simulation: each step changes the snapshot the way the world would.
    const run = (healthy: boolean) => {
      let s: RolloutSnapshot = { ...base };
      for (let i = 0; i < 50 && s.phase !== "succeeded" && s.phase !== "failed"; i++) {
        const step = planRollout(s);
        if (step.do === "move") s = { ...s, phase: step.to };
        else if (step.do === "abort") s = { ...s, phase: "aborting" };
        else if (step.do === "build") s = { ...s, build: "ready" };
        else if (step.do === "run-release-job") s = { ...s, job: "succeeded" };
        else if (step.do === "start-target")
          s = {
            ...s,
            target: target({
              started: 2,
              healthy: healthy ? 2 : 0,
              running: 2,
              overdue: healthy ? [] : ["x"],
            }),
          };
        else if (step.do === "switch-traffic") s = { ...s, phase: "succeeded" };
        else if (step.do === "stop-target") s = { ...s, target: target({ running: 0 }) };
      }
      return s.phase;
    };
    expect(run(true)).toBe("succeeded");
    expect(run(false)).toBe("failed");
  });
});
