import { describe, expect, it } from "vitest";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

const stack = (flags: unknown): StackInput =>
  ({
    name: "shop",
    services: { api: { type: "web", command: ["node", "server.js"] } },
    environments: { local: {}, prod: {} },
    flags,
  }) as StackInput;

const messages = (flags: unknown) => {
  const r = validateStack(stack(flags));
  return r.ok ? [] : r.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("flags in the spec", () => {
  it("accepts flags with defaults, kill switches and per-environment initial states", () => {
    const r = validateStack(
      stack({
        "new-checkout": {
          description: "the new checkout",
          environments: { prod: { on: true, percent: 10 } },
        },
        "heuristics-only": { killSwitch: true, default: false },
      }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.stack.flags["new-checkout"]).toMatchObject({
      killSwitch: false,
      environments: { prod: { on: true } },
    });
    expect(r.stack.flags["heuristics-only"]).toMatchObject({ killSwitch: true, default: false });
  });

  it("is optional", () => {
    const r = validateStack(stack(undefined));
    expect(r.ok && r.stack.flags).toEqual({});
  });

  it("refuses a kill switch without its safe default, naming the field", () => {
    expect(messages({ panic: { killSwitch: true } })).toEqual([
      expect.stringMatching(/^flags\.panic\.default: a kill switch needs an explicit default/),
    ]);
  });

  it("refuses an initial state for an environment the stack does not have", () => {
    expect(messages({ f: { environments: { staging: { on: true } } } })).toEqual([
      'flags.f.environments.staging: no environment named "staging"',
    ]);
  });

  it("refuses a bad name and a percentage over 100", () => {
    expect(messages({ "New Checkout": {} }).join()).toMatch(/flag name/);
    expect(messages({ f: { environments: { prod: { on: true, percent: 150 } } } }).join()).toMatch(
      /flags\.f\.environments\.prod\.percent/,
    );
  });
});
