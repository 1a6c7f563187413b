import { describe, expect, it } from "vitest";
import { configHash, type ServiceConfig } from "./config";
import { processEnv, processLaunch, servicePath } from "./process-env";
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

describe("processLaunch", () => {
  const input = {
    service: "graphql",
    config: {
      ...svc,
      command: ["postgraphile", "--port", "$(PORT)", "-c", "$(DATABASE_URL)", "$$(PORT)"],
      env: { PGURL: "$(DATABASE_URL)", DATA: "$(SLIPWAY_VOLUME)/files" },
      uses: ["db"],
      calls: [],
    },
    environment: "local",
    release: 2,
    build: "abc",
    port: 4100,
    volume: "/p/.slipway/envs/local/volumes/graphql",
    base: { PATH: servicePath("/p/.slipway/builds/abc", "/opt/node/bin/node"), LANG: "C.UTF-8" },
    addons: { db: { DATABASE_URL: "postgres://db" } },
    serviceUrls: {},
  };

  it("expands $(…) in argv and env values to what Slipway injects, without a shell", () => {
    const { argv, env } = processLaunch(input);
    expect(argv).toEqual(["postgraphile", "--port", "4100", "-c", "postgres://db", "$(PORT)"]);
    expect(env.PGURL).toBe("postgres://db");
    expect(env.DATA).toBe("/p/.slipway/envs/local/volumes/graphql/files");
    expect(env.SLIPWAY_VOLUME).toBe("/p/.slipway/envs/local/volumes/graphql");
  });

  it("refuses an unknown name with the list of known ones, expanding nothing", () => {
    const bad = { ...input, config: { ...input.config, env: { PGURL: "$(DATABASE_URI)" } } };
    expect(() => processLaunch(bad)).toThrow(
      expect.objectContaining({
        code: "SLW_SPEC_INVALID",
        message: "graphql: env.PGURL: $(DATABASE_URI) is not a variable Slipway injects here",
        hint: expect.stringContaining("DATABASE_URL, PORT, SLIPWAY_BUILD"),
      }),
    );
  });

  it("puts the build's node_modules/.bin first on PATH, then node's directory, then the system's", () => {
    expect(processLaunch(input).env.PATH).toBe(
      "/p/.slipway/builds/abc/node_modules/.bin:/opt/node/bin:/usr/local/bin:/usr/bin:/bin",
    );
    expect(servicePath("/b", "/usr/bin/node")).toBe("/b/node_modules/.bin:/usr/bin:/usr/local/bin:/bin");
  });
});
