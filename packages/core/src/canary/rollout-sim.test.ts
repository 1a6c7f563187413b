import { describe, expect, it } from "vitest";
import { simulateRollouts } from "./rollout-sim";
import { scenario } from "./scenarios";
import { quantile } from "./simulate";
import type { CanaryStep } from "./steps";

const MIN = 60_000;
const steps: CanaryStep[] = [5, 25, 50, 100].map((weight) => ({
  weight,
  holdMs: 2 * MIN,
  holdRequests: 500,
}));
const options = { runs: 100, seed: 11, durationS: 3600 };

describe("simulateRollouts: the step machine and the judge together", () => {
  it("takes every healthy canary to 100%, holding each step at least its time", () => {
    const out = simulateRollouts(
      scenario({ totalRps: 200 }),
      { kind: "canary", steps, onFailure: "rollback" },
      options,
    );
    expect(out.every((o) => o.outcome === "succeeded" && o.weight === 100)).toBe(true);
    expect(Math.min(...out.map((o) => o.atS))).toBeGreaterThanOrEqual(3 * 120);
  });

  it("rolls back every 10%-error canary at its first step, 15 s or less at the median", () => {
    const out = simulateRollouts(
      scenario({ totalRps: 200, canaryErrorRate: 0.1 }),
      { kind: "canary", steps, onFailure: "rollback" },
      options,
    );
    expect(out.every((o) => o.outcome === "rolled-back" && o.weight === 5)).toBe(true);
    expect(
      quantile(
        out.map((o) => o.atS),
        0.5,
      ),
    ).toBeLessThanOrEqual(15);
  });

  it("freezes a failing canary at its weight when the release says freeze, don't roll back", () => {
    const out = simulateRollouts(
      scenario({ totalRps: 200, latencyFactor: 3 }),
      { kind: "canary", steps, onFailure: "freeze" },
      options,
    );
    expect(out.every((o) => o.outcome === "frozen" && o.weight === 5)).toBe(true);
  });

  it("holds a low-traffic step until its requests were seen, however long that takes", () => {
    // 60 canary requests a minute at 5%: 500 requests take over 8 minutes, not the 2-minute hold.
    const out = simulateRollouts(
      scenario({ totalRps: 20 }),
      {
        kind: "canary",
        steps: steps.slice(0, 1).concat({ weight: 100, holdMs: 0, holdRequests: 0 }),
        onFailure: "rollback",
      },
      { ...options, runs: 30 },
    );
    expect(out.every((o) => o.outcome !== "rolled-back")).toBe(true);
    expect(Math.min(...out.map((o) => o.atS))).toBeGreaterThan(8 * 60);
  });
});
