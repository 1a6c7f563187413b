import { bucketOf, evaluateFlag } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { bucket, evaluate } from "./evaluate";

describe("the SDK's evaluation", () => {
  it("agrees with the control plane's for every key, percentage and allow-list", () => {
    const states = [
      { on: false },
      { on: true },
      { on: true, percent: 0 },
      { on: true, percent: 7.5 },
      { on: true, percent: 50, allow: ["user-3", "qa"] },
      { on: true, percent: 100 },
    ];
    for (let i = 0; i < 20_000; i++) {
      const key = `user-${i}`;
      expect(bucket("new-checkout", key)).toBe(bucketOf("new-checkout", key));
      for (const s of states)
        expect(evaluate("new-checkout", s, key)).toEqual(evaluateFlag("new-checkout", s, key));
    }
    for (const s of states) expect(evaluate("f", s)).toEqual(evaluateFlag("f", s));
  });
});
