import { describe, expect, it } from "vitest";
import { judgeGroup } from "./group";
import { type ArmCounts, DEFAULT_JUDGE_POLICY, judgeCanary } from "./judge";

const policy = { ...DEFAULT_JUDGE_POLICY, latency: undefined };
const judged = (canary: ArmCounts, stable: ArmCounts) => judgeCanary({ canary, stable }, policy);
const healthy = judged({ requests: 5000, errors: 2 }, { requests: 95_000, errors: 95 });
const thin = judged({ requests: 30, errors: 0 }, { requests: 570, errors: 0 });
const broken = judged({ requests: 400, errors: 40 }, { requests: 7600, errors: 8 });

describe("judgeGroup", () => {
  it("rolls the whole release back when one service is worse, naming it", () => {
    const g = judgeGroup({ api: healthy, worker: broken });
    expect(g.verdict).toBe("rollback");
    expect(g.reason).toMatch(/^worker: canary worse: .*; the whole release rolls back$/);
  });

  it("holds while any service is inconclusive", () => {
    const g = judgeGroup({ api: healthy, worker: thin });
    expect(g.verdict).toBe("hold");
    expect(g.reason).toMatch(/^worker: inconclusive: /);
  });

  it("advances only when every service may", () => {
    expect(judgeGroup({ api: healthy, web: healthy })).toMatchObject({
      verdict: "advance",
      reason: "every service within limits: api, web",
    });
  });

  it("holds with no service judged", () => {
    expect(judgeGroup({}).verdict).toBe("hold");
  });
});
