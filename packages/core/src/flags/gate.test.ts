import { describe, expect, it } from "vitest";
import { jobGate } from "./gate";

const defs = { "drop-legacy": { default: false, killSwitch: false } };

describe("jobGate: a release job gated by a flag", () => {
  it("runs with no gate, or with its flag on for everyone", () => {
    expect(jobGate({ name: "migrate" }, defs, undefined)).toEqual({ run: true });
    expect(jobGate({ name: "migrate", gatedBy: "drop-legacy" }, defs, { on: true })).toEqual({ run: true });
    expect(jobGate({ name: "migrate", gatedBy: "drop-legacy" }, defs, { on: true, percent: 100 })).toEqual({
      run: true,
    });
  });

  it("is skipped, saying why and how to run it, while the flag is off (stored or by default) or partly on", () => {
    expect(jobGate({ name: "migrate", gatedBy: "drop-legacy" }, defs, undefined)).toEqual({
      run: false,
      reason:
        "migrate is gated by flag drop-legacy, which is off; turn it on (slipway flags set drop-legacy on) and deploy again to run it",
    });
    expect(
      jobGate({ name: "migrate", gatedBy: "drop-legacy" }, defs, { on: true, percent: 10 }),
    ).toMatchObject({
      run: false,
      reason: expect.stringContaining("on for 10% only"),
    });
    const onByDefault = { "drop-legacy": { default: true, killSwitch: false } };
    expect(jobGate({ name: "migrate", gatedBy: "drop-legacy" }, onByDefault, { on: false })).toMatchObject({
      run: false,
    });
    expect(jobGate({ name: "migrate", gatedBy: "drop-legacy" }, onByDefault, undefined)).toEqual({
      run: true,
    });
  });
});
