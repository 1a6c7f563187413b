import { describe, expect, it } from "vitest";
import { flagSnapshot } from "./definitions";

describe("flagSnapshot", () => {
  const defs = {
    "new-checkout": { default: false, killSwitch: false, initial: { on: true, percent: 10 } },
    "heuristics-only": { default: false, killSwitch: true },
  };

  it("uses the spec's initial state, else the default, until a flag is set", () => {
    expect(flagSnapshot(defs, [])).toEqual({
      "heuristics-only": { state: { on: false }, default: false, killSwitch: true, version: 0 },
      "new-checkout": { state: { on: true, percent: 10 }, default: false, killSwitch: false, version: 0 },
    });
  });

  it("prefers the stored state and leaves out flags the release no longer defines", () => {
    const snap = flagSnapshot(defs, [
      { name: "heuristics-only", state: { on: true }, version: 3 },
      { name: "gone", state: { on: true }, version: 1 },
    ]);
    expect(snap["heuristics-only"]).toMatchObject({ state: { on: true }, version: 3 });
    expect(Object.keys(snap)).toEqual(["heuristics-only", "new-checkout"]);
  });
});
