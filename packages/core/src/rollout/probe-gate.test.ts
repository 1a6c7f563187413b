import { describe, expect, it } from "vitest";
import type { ProbeResult } from "../canary/probes";
import type { Judged } from "./analysis";
import { gatedByProbes, probesVerdict } from "./probe-gate";

const judged = (verdict: Judged["verdict"]): Judged => ({
  verdict,
  reason: "judge",
  services: {},
  requests: 500,
});
const probe = (outcome: ProbeResult["outcome"], name = "login"): ProbeResult => ({
  name,
  kind: "http",
  outcome,
  reason: `http probe ${name}: ${outcome}`,
  numbers: {},
});

describe("probes gate each step", () => {
  it("gate only the steps that move traffic forward on an advance", () => {
    expect(gatedByProbes({ do: "set-weight", judgement: judged("advance") })).toBe(true);
    expect(gatedByProbes({ do: "finish", judgement: judged("advance") })).toBe(true);
    expect(gatedByProbes({ do: "set-weight" })).toBe(false); // the first step: nothing judged yet
    expect(gatedByProbes({ do: "hold", judgement: judged("advance") })).toBe(false);
    expect(gatedByProbes({ do: "roll-back", judgement: judged("rollback") })).toBe(false);
  });

  it("also run while the judge holds for want of evidence: their calls are the canary's traffic", () => {
    expect(gatedByProbes({ do: "hold", judgement: judged("hold") })).toBe(true);
    expect(gatedByProbes({ do: "hold", judgement: judged("hold"), frozen: true })).toBe(false);
    expect(gatedByProbes({ do: "hold" })).toBe(false); // nothing judged (paused before any look)
  });

  it("any failing probe rolls back, naming it; else any pending one holds; else advance", () => {
    expect(probesVerdict([probe("pass"), probe("fail", "job"), probe("pending", "event")])).toEqual({
      verdict: "rollback",
      reason: "http probe job: fail",
    });
    expect(probesVerdict([probe("pass"), probe("pending")])).toEqual({
      verdict: "hold",
      reason: "http probe login: pending",
    });
    expect(probesVerdict([probe("pass"), probe("pass", "job")])).toEqual({
      verdict: "advance",
      reason: "http probe login: pass; http probe job: pass",
    });
  });
});
