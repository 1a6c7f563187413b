import { describe, expect, it } from "vitest";
import { configHash, type ServiceConfig } from "./config";
import { processEnv } from "./process-env";
import { pickRollbackTarget } from "./rollback";

const svc: ServiceConfig = {
  type: "web",
  command: ["node", "api.mjs"],
  env: { GREETING: "hi", DATABASE_URL: "postgres://override" },
  replicas: 1,
  uses: ["db", "other"],
  calls: ["rates"],
  drainSeconds: 30,
};

describe("processEnv", () => {
  const env = processEnv({
    service: "api",
    config: { ...svc, env: { GREETING: "hi", PORT: "1" } },
    environment: "local",
    release: 3,
    build: "abc",
    port: 4000,
    base: { PATH: "/usr/bin" },
    addons: {
      db: { DATABASE_URL: "postgres://db", DB_URL: "postgres://db" },
      other: { DATABASE_URL: "postgres://o" },
    },
    serviceUrls: { rates: "http://127.0.0.1:9000", unrelated: "http://x" },
  });
  it("gives the first used add-on the generic names and every add-on its own", () => {
    expect(env.DATABASE_URL).toBe("postgres://db");
    expect(env.DB_URL).toBe("postgres://db");
  });
  it("gives URLs only of the services it calls", () => {
    expect(env.RATES_URL).toBe("http://127.0.0.1:9000");
    expect(env.UNRELATED_URL).toBeUndefined();
  });
  it("lets Slipway's own variables win", () => {
    expect(env.PORT).toBe("4000");
    expect(env.SLIPWAY_RELEASE).toBe("v3");
    expect(env.GREETING).toBe("hi");
    expect(env.PATH).toBe("/usr/bin");
  });
  it("lets the service's env override an add-on's", () => {
    const e = processEnv({
      service: "api",
      config: svc,
      environment: "local",
      release: 1,
      build: "b",
      base: {},
      addons: { db: { DATABASE_URL: "postgres://db" } },
      serviceUrls: {},
    });
    expect(e.DATABASE_URL).toBe("postgres://override");
  });
});

describe("configHash", () => {
  it("ignores key order and sees every value", () => {
    const a = configHash({ services: { api: svc }, routes: [] });
    const b = configHash({
      services: { api: { ...svc, env: { DATABASE_URL: "postgres://override", GREETING: "hi" } } },
      routes: [],
    });
    const c = configHash({ services: { api: { ...svc, env: { GREETING: "bye" } } }, routes: [] });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe("pickRollbackTarget", () => {
  const rels = [1, 2, 3].map((n) => ({ id: `r${n}`, number: n, rollbackOf: null }));
  it("goes back to the previous release that went live", () => {
    expect(pickRollbackTarget(rels, "r3", new Set(["r1", "r3"]))).toEqual({ ok: true, release: rels[0] });
  });
  it("takes an explicit target and refuses the live one or a missing one", () => {
    expect(pickRollbackTarget(rels, "r3", new Set(), 2)).toMatchObject({ ok: true, release: { number: 2 } });
    expect(pickRollbackTarget(rels, "r3", new Set(), 3)).toMatchObject({ ok: false });
    expect(pickRollbackTarget(rels, "r3", new Set(), 9)).toMatchObject({
      ok: false,
      reason: "there is no release v9",
    });
  });
  it("refuses when nothing is live", () => {
    expect(pickRollbackTarget(rels, null, new Set())).toMatchObject({ ok: false });
  });
});
