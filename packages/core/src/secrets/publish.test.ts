import { describe, expect, it } from "vitest";
import { overdueSecrets, planSecretRefs } from "./publish";
import { rollbackSecretRefs, type SecretRef, secretVersionsFor } from "./refs";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const jwt = (r: Partial<SecretRef> = {}): SecretRef => ({
  services: ["api"],
  version: 1,
  overlapHours: 2,
  maxAgeDays: 90,
  ...r,
});

describe("planSecretRefs (dual-publish)", () => {
  it("publishes a newer version and keeps the old one as NAME_PREVIOUS for the overlap", () => {
    const plan = planSecretRefs({ JWT: jwt() }, { JWT: { version: 2, createdAt: 1000 } }, 2000);
    expect(plan?.refs.JWT).toMatchObject({ version: 2, previous: 1, withdrawAt: 1000 + 2 * HOUR });
    expect(secretVersionsFor(plan!.refs, "api")).toEqual([
      { envName: "JWT", name: "JWT", version: 2 },
      { envName: "JWT_PREVIOUS", name: "JWT", version: 1 },
    ]);
    expect(secretVersionsFor(plan!.refs, "web")).toEqual([]);
  });

  it("withdraws the previous version once the overlap is over, and not before", () => {
    const during = jwt({ version: 2, previous: 1, withdrawAt: 10 * HOUR });
    expect(planSecretRefs({ JWT: during }, { JWT: { version: 2, createdAt: 8 * HOUR } }, 9 * HOUR)).toBe(
      undefined,
    );
    const after = planSecretRefs({ JWT: during }, { JWT: { version: 2, createdAt: 8 * HOUR } }, 10 * HOUR);
    expect(after?.refs.JWT).toEqual(jwt({ version: 2 }));
    expect(after?.changes).toEqual([{ name: "JWT", message: "JWT_PREVIOUS (v1) withdrawn" }]);
  });

  it("publishes a first value without a previous one, and a version set long ago without an overlap", () => {
    expect(
      planSecretRefs({ JWT: jwt({ version: 0 }) }, { JWT: { version: 1, createdAt: 0 } }, 1)?.refs.JWT,
    ).toEqual(jwt({ version: 1 }));
    expect(planSecretRefs({ JWT: jwt() }, { JWT: { version: 2, createdAt: 0 } }, 3 * HOUR)?.refs.JWT).toEqual(
      jwt({ version: 2 }),
    );
  });

  it("an add-on login keeps its previous version (even the first, v0) for the database to withdraw, not a restart", () => {
    const db = (r: Partial<SecretRef> = {}) =>
      jwt({ services: [], version: 0, addon: "db", overlapHours: 1, ...r });
    const first = planSecretRefs({ DB: db() }, { DB: { version: 1, createdAt: 0 } }, 5 * HOUR);
    expect(first?.refs.DB).toEqual(db({ version: 1, previous: 0, withdrawAt: HOUR }));
    expect(first?.changes[0]?.message).toContain("v0 stays valid for db until");
    // Not an env var of any service, current or previous.
    expect(secretVersionsFor(first!.refs, "api")).toEqual([]);
    expect(planSecretRefs(first!.refs, { DB: { version: 1, createdAt: 0 } }, 9 * HOUR)).toBe(undefined);
  });

  it("a secret services follow through the SDK (restart: false) makes no release once it has a value", () => {
    const live = jwt({ restart: false });
    expect(planSecretRefs({ JWT: live }, { JWT: { version: 2, createdAt: 1000 } }, 2000)).toBe(undefined);
    expect(
      planSecretRefs({ JWT: jwt({ restart: false, version: 0 }) }, { JWT: { version: 1, createdAt: 0 } }, 1)
        ?.refs.JWT,
    ).toEqual(jwt({ restart: false, version: 1 }));
  });

  it("a secret with no newer version and nothing to withdraw needs no release", () => {
    expect(planSecretRefs({ JWT: jwt() }, { JWT: { version: 1, createdAt: 0 } }, 5 * DAY)).toBe(undefined);
  });
});

describe("overdueSecrets", () => {
  it("reports a secret older than its maxAgeDays, and not one without a policy", () => {
    const refs = { JWT: jwt(), KEY: jwt({ maxAgeDays: undefined }) } as Record<string, SecretRef>;
    delete refs.KEY!.maxAgeDays;
    const newest = { JWT: { version: 1, createdAt: 0 }, KEY: { version: 1, createdAt: 0 } };
    expect(overdueSecrets(refs, newest, 89 * DAY)).toEqual([]);
    expect(overdueSecrets(refs, newest, 92 * DAY)).toEqual([
      { name: "JWT", version: 1, overdueDays: 2, dueAt: 90 * DAY },
    ]);
  });
});

describe("rollbackSecretRefs", () => {
  it("keeps the versions the live release publishes; a secret the live one lacks keeps its own", () => {
    const target = { JWT: jwt({ version: 1 }), OLD_ONLY: jwt({ version: 3 }) };
    const live = { JWT: jwt({ version: 4, previous: 3, withdrawAt: 99 }), NEW_ONLY: jwt({ version: 1 }) };
    expect(rollbackSecretRefs(target, live)).toEqual({
      JWT: jwt({ version: 4, previous: 3, withdrawAt: 99 }),
      OLD_ONLY: jwt({ version: 3 }),
    });
    expect(rollbackSecretRefs(undefined, live)).toBe(undefined);
  });
});
