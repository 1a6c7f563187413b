import { describe, expect, it } from "vitest";
import { DEFAULT_JUDGE_POLICY } from "./judge";
import {
  argoPolicy,
  benchmarkPolicies,
  checkGate,
  flaggerPolicy,
  sequentialPolicy,
  TUTORIAL_GATE,
} from "./policies";
import { canaryAtPerMinute, scenario, summarize } from "./scenarios";
import { latencyTail, simulate } from "./simulate";

const TWENTY_MIN = 1200;
const ours = sequentialPolicy();

describe("simulate", () => {
  it("replays the same rollouts from the same seed, and others from another", () => {
    const model = scenario({ totalRps: 200, canaryErrorRate: 0.02 });
    const run = (seed: number) => simulate(model, benchmarkPolicies(), { runs: 50, seed, durationS: 600 });
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it("rolls back a canary with 10% errors in every run, within 15 s at the median (200 req/s, 5%)", () => {
    const out = simulate(scenario({ totalRps: 200, canaryErrorRate: 0.1 }), [ours], {
      runs: 300,
      seed: 1,
      durationS: TWENTY_MIN,
    });
    const s = summarize(out.slipway!);
    expect(s.rolledBackPct).toBe(100);
    expect(s.medianS).toBeLessThanOrEqual(15);
  });

  it("rolls back a canary three times slower in every run", () => {
    const out = simulate(scenario({ totalRps: 200, latencyFactor: 3 }), [ours], {
      runs: 300,
      seed: 2,
      durationS: TWENTY_MIN,
    });
    expect(summarize(out.slipway!).rolledBackPct).toBe(100);
  });

  it("rolls back at most 1% of canaries identical to stable over 20 minutes of looks every 5 s", () => {
    const out = simulate(scenario({ totalRps: 200 }), [ours], { runs: 400, seed: 5, durationS: TWENTY_MIN });
    const s = summarize(out.slipway!);
    expect(s.rolledBackPct).toBeLessThanOrEqual(1);
    expect(s.advancedPct).toBeGreaterThan(99);
  });

  it("at 20 canary requests a minute, rolls back at most 1% of 0.5%-error canaries under a 1% gate, where Flagger's defaults roll back most", () => {
    const model = scenario({ totalRps: canaryAtPerMinute(20), stableErrorRate: 0.005 });
    const out = simulate(model, [ours, flaggerPolicy("flagger", 60, 1), argoPolicy("argo", 60)], {
      runs: 400,
      seed: 6,
      durationS: TWENTY_MIN,
    });
    expect(summarize(out.slipway!).rolledBackPct).toBeLessThanOrEqual(1);
    expect(summarize(out.flagger!).rolledBackPct).toBeGreaterThan(50);
    expect(summarize(out.argo!).rolledBackPct).toBeGreaterThan(50);
  });
});

describe("the judge's comparison with stable, at the edge of what it tolerates", () => {
  it("rolls back a canary exactly 1.5× stable's error rate no more often than its α, looking every 5 s", () => {
    // Only the comparison can fail here (error limit 50%, no SLO, no latency): 2 tests share α = 0.1.
    const policy = {
      ...DEFAULT_JUDGE_POLICY,
      alpha: 0.1,
      maxErrorRate: 0.5,
      slo: undefined,
      latency: undefined,
    };
    const model = scenario({ totalRps: 200, stableErrorRate: 0.01, canaryErrorRate: 0.015 });
    const out = simulate(model, [sequentialPolicy(policy)], { runs: 400, seed: 9, durationS: TWENTY_MIN });
    expect(summarize(out.slipway!).rolledBackPct).toBeLessThanOrEqual(5);
    // …and finds a canary twice as bad as that.
    const worse = scenario({ totalRps: 200, stableErrorRate: 0.01, canaryErrorRate: 0.03 });
    const found = simulate(worse, [sequentialPolicy(policy)], { runs: 100, seed: 9, durationS: TWENTY_MIN });
    expect(summarize(found.slipway!).rolledBackPct).toBeGreaterThan(95);
  });
});

describe("checkGate", () => {
  const arm = (requests: number, errors: number, over500: number) => ({
    requests,
    errors,
    slowerThan: { 500: over500 },
  });

  it("fails over 1% errors, passes at exactly 1%, and reports no data as such", () => {
    expect(checkGate(arm(100, 2, 0), TUTORIAL_GATE)).toBe("fail");
    expect(checkGate(arm(100, 1, 0), TUTORIAL_GATE)).toBe("pass");
    expect(checkGate(arm(0, 0, 0), TUTORIAL_GATE)).toBe("no-data");
  });

  it("fails when the nearest-rank p99 is over 500 ms", () => {
    expect(checkGate(arm(100, 0, 1), TUTORIAL_GATE)).toBe("pass");
    expect(checkGate(arm(100, 0, 2), TUTORIAL_GATE)).toBe("fail");
    expect(checkGate(arm(20, 0, 1), TUTORIAL_GATE)).toBe("fail");
  });
});

describe("latencyTail", () => {
  it("is one half at the median and shrinks beyond it", () => {
    const rev = { errorRate: 0, latency: { medianMs: 60, sigma: 0.6 } };
    expect(latencyTail(rev, 60)).toBeCloseTo(0.5, 6);
    expect(latencyTail(rev, 60 * Math.exp(0.6 * 1.6448536))).toBeCloseTo(0.05, 5);
    expect(latencyTail(rev, 10)).toBeCloseTo(1 - latencyTail(rev, 360), 6);
  });
});
