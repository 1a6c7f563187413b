import { describe, expect, it } from "vitest";
import { type ArmCounts, DEFAULT_JUDGE_POLICY, judgeCanary } from "./judge";

/** Counts with latency: `slow` of the requests slower than the 250 ms budget. */
const arm = (
  requests: number,
  errors: number,
  slow = Math.round(requests * 0.01),
  p95Ms?: number,
): ArmCounts => ({
  requests,
  errors,
  latency: { samples: requests, overBudget: slow, ...(p95Ms ? { p95Ms } : {}) },
});
const stable = arm(57_000, 57);

describe("judgeCanary", () => {
  it("holds, and says why, when the canary's metric source failed", () => {
    const j = judgeCanary({ canary: { error: "edge stats: connection refused" }, stable });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toBe("inconclusive: canary metrics unavailable (edge stats: connection refused)");
  });

  it("holds with no canary requests yet", () => {
    const j = judgeCanary({ canary: arm(0, 0), stable });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toBe("inconclusive: no canary requests yet");
  });

  it("holds on counts that are not counts, instead of crashing", () => {
    for (const canary of [
      { requests: Number.NaN, errors: 0 },
      { requests: 10, errors: 11 },
      { requests: -1, errors: 0 },
      { requests: 10, errors: 0, latency: { samples: 10, overBudget: 20 } },
    ]) {
      const j = judgeCanary({ canary, stable });
      expect(j.verdict).toBe("hold");
      expect(j.reason).toMatch(/^inconclusive: canary metrics unusable: /);
    }
  });

  it("does not advance when the stable revision's metrics failed, and says it cannot compare", () => {
    const j = judgeCanary({ canary: arm(3000, 0), stable: { error: "timeout" } });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toContain("stable metrics unavailable (timeout)");
  });

  it("still rolls back a broken canary when only the stable metrics failed", () => {
    const j = judgeCanary({ canary: arm(200, 40), stable: { error: "timeout" } });
    expect(j.verdict).toBe("rollback");
  });

  it("rolls back a clearly broken canary before the minimum sample, with the SLO burn rate", () => {
    const j = judgeCanary({ canary: arm(20, 12), stable });
    expect(j.verdict).toBe("rollback");
    expect(j.reason).toMatch(
      /^canary worse: burn: errors 12\/20 = 60\.00%, over 1\.44% \(Λ=.* of 1667, p=.*\); burn rate 600\.0×/,
    );
  });

  it("rolls back on the SLO burn-rate guardrail alone when the error limit is looser than the SLO", () => {
    const policy = { ...DEFAULT_JUDGE_POLICY, maxErrorRate: 0.2 };
    const j = judgeCanary({ canary: arm(400, 20), stable: arm(7600, 8) }, policy);
    expect(j.verdict).toBe("rollback");
    expect(j.checks.filter((c) => c.outcome === "fail").map((c) => c.name)).toContain("burn");
    expect(j.checks.find((c) => c.name === "errors")!.outcome).not.toBe("fail");
    expect(j.reason).toContain("burn rate 50.0× the SLO's budget (guardrail 14.4×)");
  });

  it("does not advance a canary with no errors before the minimum sample", () => {
    const j = judgeCanary({ canary: arm(20, 0, 0), stable });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toBe("inconclusive: 20 of the 50 canary requests needed");
  });

  it("advances a healthy canary once the evidence shows it within every limit, with every number", () => {
    const j = judgeCanary({ canary: arm(3000, 3, 30, 140), stable });
    expect(j.verdict).toBe("advance");
    expect(j.reason).toMatch(/^canary within limits over 3000 requests: /);
    const errors = j.checks.find((c) => c.name === "errors")!;
    expect(errors.text).toMatch(/^errors: errors 3\/3000 = 0\.10%, under 1\.00% \(Λ=.* of 1667, p=/);
    expect(j.checks.find((c) => c.name === "latency")!.text).toContain("p95 140 ms");
    expect(j.checks.map((c) => c.name)).toEqual([
      "burn",
      "errors",
      "errors-vs-stable",
      "latency",
      "latency-vs-stable",
    ]);
  });

  it("holds a healthy canary while the evidence is thin (low traffic)", () => {
    const j = judgeCanary({ canary: arm(200, 0, 2), stable });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toMatch(
      /^inconclusive: errors: errors 0\/200 = 0\.00%, not yet shown under or over 1\.00%/,
    );
  });

  it("rolls back a canary under the absolute limit that is clearly worse than stable", () => {
    // 0.8% errors passes a "≤ 1%" gate, but stable serves 0.1% at the same time.
    const j = judgeCanary({ canary: arm(5000, 40), stable: arm(95_000, 95) });
    expect(j.verdict).toBe("rollback");
    expect(j.checks.find((c) => c.name === "errors")!.outcome).not.toBe("fail");
    expect(j.reason).toMatch(
      /errors-vs-stable: errors: canary 40\/5000 = 0\.80% vs stable 95\/95000 = 0\.10%.*canary worse/,
    );
  });

  it("does not blame the canary for errors the stable revision has too", () => {
    const j = judgeCanary({ canary: arm(5000, 30), stable: arm(95_000, 570) });
    expect(j.verdict).not.toBe("rollback");
    expect(j.checks.find((c) => c.name === "errors-vs-stable")!.outcome).toBe("pending");
  });

  it("rolls back a canary three times slower, on the latency budget", () => {
    const j = judgeCanary({ canary: arm(500, 0, 150, 480), stable });
    expect(j.verdict).toBe("rollback");
    expect(j.reason).toContain("latency: slower than 250 ms 150/500 = 30.00%, over 5.00%");
  });

  it("never advances without latency data when the policy has a latency budget", () => {
    const j = judgeCanary({ canary: { requests: 5000, errors: 0 }, stable });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toContain("latency: no canary latency measured yet");
  });

  it("advances without latency when the policy has no latency budget", () => {
    const policy = { ...DEFAULT_JUDGE_POLICY, latency: undefined };
    const j = judgeCanary(
      { canary: { requests: 5000, errors: 0 }, stable: { requests: 95_000, errors: 90 } },
      policy,
    );
    expect(j.verdict).toBe("advance");
  });
});
