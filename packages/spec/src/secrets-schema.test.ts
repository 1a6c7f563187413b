import { describe, expect, it } from "vitest";
import { secretRefsFor } from "./secrets-schema";
import { validateStack } from "./validate";

const stack = (secrets: unknown) => ({
  name: "shop",
  services: { api: { type: "web", command: ["node", "api.js"], uses: ["db"] } },
  addons: { db: { type: "postgres" }, cache: { type: "redis" } },
  environments: { local: {}, prod: {} },
  secrets,
});
const issues = (secrets: unknown) => {
  const r = validateStack(stack(secrets), "slipway.config.ts");
  return r.ok ? [] : r.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
};

describe("the secrets section", () => {
  it("seeds rotation defaults by kind (JWT 90 days, database passwords 180) and scopes by environment", () => {
    const r = validateStack(
      stack({
        JWT_SECRET: { kind: "jwt", services: ["api"], generate: {} },
        DB_PASSWORD: { kind: "database", services: ["api"], environments: ["prod"] },
        STRIPE_KEY: { kind: "vendor", services: ["api"], rotation: { maxAgeDays: 365 } },
      }),
      "slipway.config.ts",
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(secretRefsFor(r.stack.secrets, "local")).toEqual({
      JWT_SECRET: {
        services: ["api"],
        version: 0,
        maxAgeDays: 90,
        overlapHours: 24,
        generate: { bytes: 32, format: "base64url" },
      },
      STRIPE_KEY: { services: ["api"], version: 0, maxAgeDays: 365, overlapHours: 24 },
    });
    expect(secretRefsFor(r.stack.secrets, "prod").DB_PASSWORD).toEqual({
      services: ["api"],
      version: 0,
      maxAgeDays: 180,
      overlapHours: 1,
    });
  });

  it("refuses an unknown service or environment, a reserved name and a lowercase name, naming the field", () => {
    expect(issues({ A_KEY: { services: ["nope"] } })).toEqual([
      { path: "secrets.A_KEY.services.0", message: 'no service named "nope"' },
    ]);
    expect(issues({ A_KEY: { services: ["api"], environments: ["qa"] } })[0]?.path).toBe(
      "secrets.A_KEY.environments.0",
    );
    expect(issues({ JWT_PREVIOUS: { services: ["api"] } })[0]?.message).toContain("*_PREVIOUS");
    expect(issues({ PORT: { services: ["api"] } })[0]?.path).toBe("secrets.PORT");
    expect(issues({ jwt: { services: ["api"] } })[0]?.message).toContain("capitals");
    // A value never goes in the spec (it is committed): only through `slipway secrets`.
    expect(issues({ A_KEY: { services: ["api"], value: "x" } })[0]?.path).toBe("secrets.A_KEY.value");
  });

  it("a postgres add-on's password: generated, the database policy, not published as NAME", () => {
    const r = validateStack(stack({ DB_PASSWORD: { addon: "db" } }), "slipway.config.ts");
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(secretRefsFor(r.stack.secrets, "local")).toEqual({
      DB_PASSWORD: {
        services: [],
        version: 0,
        maxAgeDays: 180,
        overlapHours: 1,
        generate: { bytes: 32, format: "base64url" },
        addon: "db",
      },
    });
    expect(issues({ CACHE_PASSWORD: { addon: "cache" } })).toEqual([
      {
        path: "secrets.CACHE_PASSWORD.addon",
        message: "cache is a redis add-on; only a postgres add-on's password rotates",
      },
    ]);
    expect(issues({ X: { addon: "nope" } })[0]?.message).toBe('no add-on named "nope"');
    expect(issues({ A: { addon: "db" }, B: { addon: "db" } })[0]).toEqual({
      path: "secrets.B.addon",
      message: "A already holds db's password",
    });
    expect(issues({ A_KEY: {} })[0]?.path).toBe("secrets.A_KEY.services");
  });
});
