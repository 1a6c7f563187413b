import { describe, expect, it } from "vitest";
import { evaluateFlag } from "./evaluate";

const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const share = (percent: number) =>
  users.filter((u) => evaluateFlag("new-checkout", { on: true, percent }, u).value).length / users.length;

describe("evaluateFlag", () => {
  it("off is off for everyone, allow-listed users included (the kill switch)", () => {
    expect(evaluateFlag("f", { on: false, allow: ["alice"] }, "alice")).toEqual({
      value: false,
      reason: "off",
    });
  });

  it("gives a percentage rollout to about that share of users", () => {
    expect(share(10)).toBeGreaterThan(0.09);
    expect(share(10)).toBeLessThan(0.11);
  });

  it("is sticky: a user in the rollout at 10% stays in it at 25%", () => {
    const at10 = users.filter((u) => evaluateFlag("new-checkout", { on: true, percent: 10 }, u).value);
    for (const u of at10) expect(evaluateFlag("new-checkout", { on: true, percent: 25 }, u).value).toBe(true);
  });

  it("buckets users independently per flag", () => {
    const a = users.filter((u) => evaluateFlag("a", { on: true, percent: 50 }, u).value);
    const b = new Set(users.filter((u) => evaluateFlag("b", { on: true, percent: 50 }, u).value));
    const both = a.filter((u) => b.has(u)).length / users.length;
    expect(both).toBeGreaterThan(0.22);
    expect(both).toBeLessThan(0.28);
  });

  it("lets allow-listed users in whatever the percentage, and keyless callers only at 100%", () => {
    expect(evaluateFlag("f", { on: true, percent: 0, allow: ["qa"] }, "qa").reason).toBe("allow-list");
    expect(evaluateFlag("f", { on: true, percent: 50 })).toEqual({ value: false, reason: "no-key" });
    expect(evaluateFlag("f", { on: true })).toEqual({ value: true, reason: "on" });
  });
});
