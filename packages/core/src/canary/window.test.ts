import { describe, expect, it } from "vitest";
import { judgeCanary } from "./judge";
import { countsInWindow } from "./window";

describe("countsInWindow", () => {
  it("subtracts the counters stored when the step began", () => {
    const now = { requests: 1500, errors: 7, latency: { samples: 1400, overBudget: 30, p95Ms: 180 } };
    const start = { requests: 1000, errors: 5, latency: { samples: 950, overBudget: 20 } };
    expect(countsInWindow(now, start)).toEqual({
      requests: 500,
      errors: 2,
      latency: { samples: 450, overBudget: 10, p95Ms: 180 },
    });
  });

  it("counts from zero when nothing was stored (the first look of a step)", () => {
    expect(countsInWindow({ requests: 3, errors: 0 }, undefined)).toEqual({ requests: 3, errors: 0 });
  });

  it("passes a metric source's error through", () => {
    expect(countsInWindow({ error: "stats socket closed" }, { requests: 1, errors: 0 })).toEqual({
      error: "stats socket closed",
    });
  });

  it("makes a restarted source's window unknown, so the judge holds instead of seeing zero errors", () => {
    const w = countsInWindow({ requests: 40, errors: 0 }, { requests: 9000, errors: 300 });
    expect(w).toEqual({
      error:
        "counters went backwards since the step began (requests 9000 → 40, errors 300 → 0); the metric source restarted",
    });
    const j = judgeCanary({ canary: w, stable: { requests: 100, errors: 0 } });
    expect(j.verdict).toBe("hold");
    expect(j.reason).toMatch(/^inconclusive: canary metrics unavailable \(counters went backwards/);
  });
});
