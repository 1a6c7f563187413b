import { describe, expect, it } from "vitest";
import { formatIssues } from "./issues";
import { validateStack } from "./validate";

const stack = (
  data: unknown,
  services: Record<string, unknown> = { migrate: { type: "release", command: ["node", "migrate.js"] } },
) => ({
  name: "shop",
  services: { api: { type: "web", command: ["node", "server.js"] }, ...services },
  data,
});

function problems(data: unknown): string {
  const result = validateStack(stack(data), "slipway.config.ts");
  if (result.ok) throw new Error("expected the spec to be rejected");
  return formatIssues(result.issues);
}

describe("data section", () => {
  it("accepts a seed argv and per-table rules, safe tables and schema-qualified names", () => {
    const result = validateStack(
      stack({
        seed: ["node", "seed.mjs"],
        mask: { users: { id: "keep", email: "email", bio: "text", ssn: "drop" }, "audit.log": "safe" },
      }),
    );
    expect(result.ok && result.stack.data).toEqual({
      seed: ["node", "seed.mjs"],
      mask: { users: { id: "keep", email: "email", bio: "text", ssn: "drop" }, "audit.log": "safe" },
    });
  });

  it("names the field of a bad rule and lists the rules there are", () => {
    const text = problems({ mask: { users: { email: "hash" } } });
    expect(text).toContain("data.mask.users.email");
    expect(text).toContain('"email", "name", "phone", "text", "drop", "keep"');
  });

  it("names a table whose value is neither rules nor safe", () => {
    expect(problems({ mask: { users: "saf" } })).toContain("data.mask.users");
  });

  it("refuses a shell string as seed", () => {
    expect(problems({ seed: "node seed.mjs" })).toContain("data.seed");
  });

  it("refuses a seed in a stack without a release job, which it would run after", () => {
    const result = validateStack(stack({ seed: ["node", "seed.mjs"] }, {}), "slipway.config.ts");
    expect(result.ok).toBe(false);
    const text = result.ok ? "" : formatIssues(result.issues);
    expect(text).toContain("data.seed");
    expect(text).toContain("this stack has none");
    expect(text).toContain('add a service of type "release"');
  });

  it("refuses an unknown key with a did-you-mean", () => {
    expect(problems({ masks: {} })).toContain("did you mean `mask`?");
  });
});
