import { describe, expect, it } from "vitest";
import { planAnalysis } from "../rollout/analysis";
import { bucketUpperMs, DEFAULT_JOB_POLICY, durationBucket, type JobTally, jobArm } from "./jobs";
import { DEFAULT_JUDGE_POLICY, judgeCanary } from "./judge";
import type { RolloutStrategy } from "./steps";

/** A tally of `completed` and `failed` jobs, all lasting `ms`. */
const tally = (completed: number, failed: number, ms = 50): JobTally => ({
  completed,
  failed,
  buckets: { [durationBucket(ms)]: completed + failed },
});

describe("job durations in buckets", () => {
  it("puts a duration in the bucket whose edges hold it, 10% wide", () => {
    for (const ms of [0, 1, 1.5, 12, 250, 999, 60_000]) {
      const k = durationBucket(ms);
      expect(ms).toBeLessThanOrEqual(bucketUpperMs(k) + 1e-9);
      if (k > 0) expect(ms).toBeGreaterThan(bucketUpperMs(k - 1));
    }
  });

  it("counts a job over the budget only when its whole bucket is over, and gives the p95", () => {
    const t: JobTally = {
      completed: 100,
      failed: 0,
      buckets: { [durationBucket(100)]: 90, [durationBucket(1_000)]: 10 },
    };
    const arm = jobArm(t, 500);
    expect(arm).toMatchObject({ requests: 100, errors: 0, latency: { samples: 100, overBudget: 10 } });
    expect(arm.latency?.p95Ms).toBeGreaterThanOrEqual(1_000);
    expect(arm.latency?.p95Ms).toBeLessThan(1_100);
    // A job within 10% of the budget may count as within: never a false "slow".
    expect(
      jobArm({ completed: 5, failed: 0, buckets: { [durationBucket(501)]: 5 } }, 500).latency?.overBudget,
    ).toBe(0);
    expect(jobArm(t)).toEqual({ requests: 100, errors: 0 });
  });
});

describe("the judge on jobs", () => {
  const policy = DEFAULT_JOB_POLICY;

  it("rolls back a canary worker that fails every job, naming the job numbers", () => {
    const j = judgeCanary({ canary: jobArm(tally(0, 12)), stable: jobArm(tally(300, 1)) }, policy);
    expect(j.verdict).toBe("rollback");
    expect(j.reason).toMatch(/^canary worse: /);
    expect(j.reason).toContain("failed jobs 12/12 = 100.00%");
    expect(j.reason).toMatch(/failed jobs: canary 12\/12 = 100.00% vs stable 1\/301/);
  });

  it("holds with too few jobs, and says how many it has of how many", () => {
    const j = judgeCanary({ canary: jobArm(tally(5, 0)), stable: jobArm(tally(300, 0)) }, policy);
    expect(j.verdict).toBe("hold");
    expect(j.reason).toBe("inconclusive: 5 of the 20 canary jobs needed");
  });

  it("holds when the canary reported no job: no data is never a rollback by itself", () => {
    const j = judgeCanary({ canary: jobArm(tally(0, 0)), stable: jobArm(tally(300, 3)) }, policy);
    expect(j.verdict).toBe("hold");
    expect(j.reason).toBe("inconclusive: no canary jobs yet");
    const failed = judgeCanary(
      { canary: { error: "job counts could not be read: down" }, stable: jobArm(tally(300, 3)) },
      policy,
    );
    expect(failed.verdict).toBe("hold");
    expect(failed.reason).toMatch(/inconclusive: canary metrics unavailable \(job counts could not be read/);
  });

  it("advances a healthy worker after its minimum sample, with no evidence that it is worse", () => {
    const j = judgeCanary({ canary: jobArm(tally(25, 0)), stable: jobArm(tally(600, 1)) }, policy);
    expect(j.verdict).toBe("advance");
    expect(j.reason).toMatch(/^canary within limits over 25 jobs: /);
    // Requests must prove they are under the limit: 25 without an error is not enough.
    const asRequests = judgeCanary(
      { canary: { requests: 25, errors: 0 }, stable: { requests: 600, errors: 1 } },
      { ...DEFAULT_JUDGE_POLICY, latency: undefined, minRequests: 20 },
    );
    expect(asRequests.verdict).toBe("hold");
  });

  it("does not roll back a worker failing as often as stable (a queue-wide incident)", () => {
    const j = judgeCanary(
      { canary: jobArm(tally(45, 5)), stable: jobArm(tally(450, 50)) },
      {
        ...policy,
        maxErrorRate: 0.2,
      },
    );
    expect(j.verdict).not.toBe("rollback");
    expect(j.checks.find((c) => c.name === "errors-vs-stable")?.outcome).toBe("pending");
  });

  it("rolls back on job duration over its budget when one is set", () => {
    const slow = { ...policy, latency: { budgetMs: 1_000, quantile: 0.95 } };
    const j = judgeCanary(
      { canary: jobArm(tally(200, 0, 3_000), 1_000), stable: jobArm(tally(2_000, 0, 100), 1_000) },
      slow,
    );
    expect(j.verdict).toBe("rollback");
    expect(j.reason).toMatch(/latency: jobs longer than 1000 ms 200\/200/);
  });
});

describe("workers in the group judgement", () => {
  const STRATEGY: RolloutStrategy = {
    kind: "canary",
    onFailure: "rollback",
    steps: [
      { weight: 50, holdMs: 0, holdRequests: 0 },
      { weight: 100, holdMs: 0, holdRequests: 0 },
    ],
  };
  const web = (requests: number) => ({ requests, errors: 0, latency: { samples: requests, overBudget: 0 } });
  const first = planAnalysis(
    {
      strategy: STRATEGY,
      policy: DEFAULT_JUDGE_POLICY,
      jobPolicy: DEFAULT_JOB_POLICY,
      state: undefined,
      counters: { api: { stable: web(1_000), canary: web(0) } },
      jobCounters: { worker: { stable: jobArm(tally(400, 2)), canary: jobArm(tally(0, 0)) } },
      restarts: {},
      converged: true,
    },
    0,
  );
  if (first.do !== "set-weight") throw new Error(first.do);
  const look = (canaryJobs: JobTally, stableJobs = tally(800, 4)) =>
    planAnalysis(
      {
        strategy: STRATEGY,
        policy: DEFAULT_JUDGE_POLICY,
        jobPolicy: DEFAULT_JOB_POLICY,
        state: first.state,
        counters: { api: { stable: web(3_000), canary: web(2_000) } },
        jobCounters: { worker: { stable: jobArm(stableJobs), canary: jobArm(canaryJobs) } },
        restarts: {},
        converged: true,
      },
      10_000,
    );

  it("stores each worker's job counters as the step's baseline", () => {
    expect(first.state.baseline.worker).toEqual({
      stable: jobArm(tally(400, 2)),
      canary: jobArm(tally(0, 0)),
    });
  });

  it("rolls the whole release back when its worker fails its jobs, though the web services are healthy", () => {
    const step = look(tally(0, 30));
    expect(step.do).toBe("roll-back");
    if (step.do !== "roll-back") return;
    expect(step.reason).toMatch(/worker: canary worse: .*failed jobs 30\/30/);
    expect(step.reason).toMatch(/the whole release rolls back/);
    expect(step.judgement?.services.worker?.checks.length).toBeGreaterThan(0);
  });

  it("holds the release while the canary worker has done too few jobs in the step", () => {
    const step = look(tally(3, 0));
    expect(step).toMatchObject({ do: "hold" });
    expect(step.do === "hold" && step.reason).toMatch(/worker: inconclusive: 3 of the 20 canary jobs needed/);
  });

  it("leaves out a worker that reports no jobs at all, so stacks without the SDK are not held", () => {
    const step = look(tally(0, 0), tally(400, 2));
    expect(step).toMatchObject({ do: "set-weight", weight: 100 });
    expect(step.do === "set-weight" && Object.keys(step.judgement?.services ?? {})).toEqual(["api"]);
  });

  it("advances when the worker's jobs are within limits too", () => {
    const step = look(tally(200, 0));
    expect(step).toMatchObject({ do: "set-weight", weight: 100 });
    expect(step.do === "set-weight" && step.reason).toMatch(/every service within limits/);
  });
});
