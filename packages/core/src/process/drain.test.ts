import { describe, expect, it } from "vitest";
import { planDrain } from "./drain";

const since = 1_000_000;
const drainMs = 30_000;

describe("planDrain", () => {
  it("terminates an idle process at once, with its whole drain budget as grace", () => {
    expect(planDrain({ since, drainMs, inFlight: 0 }, since)).toEqual({ do: "terminate", graceMs: 30_000 });
  });

  it("lets in-flight requests finish first, for up to half the budget", () => {
    expect(planDrain({ since, drainMs, inFlight: 3 }, since + 1_000)).toMatchObject({ do: "wait" });
    expect(planDrain({ since, drainMs, inFlight: 3 }, since + 14_999)).toEqual({ do: "wait", ms: 1 });
  });

  it("asks a process holding long-lived connections to close them at half the budget", () => {
    expect(planDrain({ since, drainMs, inFlight: 1 }, since + 15_000)).toEqual({
      do: "terminate",
      graceMs: 15_000,
    });
  });

  it("never grants more than the budget: after a restart the remaining grace is what is left", () => {
    expect(planDrain({ since, drainMs, inFlight: 1 }, since + 40_000)).toEqual({
      do: "terminate",
      graceMs: 0,
    });
  });
});
