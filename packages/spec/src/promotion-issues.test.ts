import { describe, expect, it } from "vitest";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

const withEnvironments = (environments: StackInput["environments"]): StackInput => ({
  name: "shop",
  services: { api: { type: "web", command: ["node", "server.js"] } },
  environments,
});

function issues(environments: StackInput["environments"]) {
  const result = validateStack(withEnvironments(environments));
  return result.ok ? [] : result.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

describe("promotion rules in the spec", () => {
  it("accepts dev → staging → prod with approval, soak and a weekend freeze", () => {
    const result = validateStack(
      withEnvironments({
        dev: { autoDeploy: { branch: "main" } },
        staging: { autoDeploy: { branch: "main" }, promotesFrom: "dev" },
        prod: {
          promotesFrom: "staging",
          requiresApproval: true,
          soakMinutes: 30,
          freeze: [{ days: ["fri", "sat", "sun"], from: "16:00", until: "00:00", reason: "weekend" }],
        },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it("names a promotion cycle", () => {
    expect(issues({ staging: { promotesFrom: "prod" }, prod: { promotesFrom: "staging" } })).toContainEqual({
      path: "environments.staging.promotesFrom",
      message: "promotion cycle: staging ← prod ← staging",
    });
  });

  it("refuses an unknown source, the environment itself, and soak without a source", () => {
    expect(issues({ prod: { promotesFrom: "stagin" }, staging: {} })[0]).toMatchObject({
      path: "environments.prod.promotesFrom",
      message: 'no environment named "stagin" to promote from',
    });
    expect(issues({ prod: { promotesFrom: "prod" } })[0]?.message).toBe(
      "an environment cannot promote from itself",
    );
    expect(issues({ prod: { soakMinutes: 10 } })[0]?.path).toBe("environments.prod.soakMinutes");
  });

  it("refuses a freeze window that ends before it starts, and a malformed time", () => {
    expect(
      issues({ prod: { freeze: [{ from: "2027-01-04T00:00:00Z", until: "2026-12-20T00:00:00Z" }] } })[0],
    ).toMatchObject({ path: "environments.prod.freeze.0.until" });
    expect(
      issues({ prod: { freeze: [{ days: ["fri"], from: "25:00", until: "23:00" }] } }).length,
    ).toBeGreaterThan(0);
  });
});
