import { describe, expect, it } from "vitest";
import type { ProbeResult } from "../canary/probes";
import type { Judged } from "./analysis";
import { gatedByProbes, withProbes } from "./probe-gate";

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

  it("a failing probe rolls back, naming it; a pending one holds an advance; passing ones change nothing", () => {
    const failed = withProbes(judged("advance"), [probe("pass"), probe("fail", "job")]);
    expect(failed).toMatchObject({ verdict: "rollback", reason: "a probe failed: http probe job: fail" });
    expect(withProbes(judged("advance"), [probe("pending")])).toMatchObject({
      verdict: "hold",
      reason: "probes not passed yet: http probe login: pending",
    });
    expect(withProbes(judged("rollback"), [probe("pending")])?.verdict).toBe("rollback");
    expect(withProbes(judged("advance"), [probe("pass")])).toMatchObject({
      verdict: "advance",
      reason: "judge",
    });
    expect(withProbes(judged("advance"), undefined)).toEqual(judged("advance"));
    expect(withProbes(undefined, [probe("fail")])).toBeUndefined();
  });
});
