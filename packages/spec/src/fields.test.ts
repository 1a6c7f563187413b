import { describe, expect, it } from "vitest";
import { resolveServices } from "./resolve";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

/** Every field the spec accepts does what it says, or is refused here with a clear error. */
const base: StackInput = {
  name: "shop",
  services: { api: { type: "web", command: ["node", "server.js"] } },
};

function withServices(services: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return { ...base, ...extra, services: { ...base.services, ...services } };
}

function issues(value: unknown) {
  const r = validateStack(value, "slipway.config.ts");
  return r.ok ? [] : r.issues.map((i) => ({ path: i.path.join("."), message: i.message, hint: i.hint }));
}

describe("release services", () => {
  it("refuses a second release service, naming both", () => {
    const found = issues(
      withServices({
        migrate: { type: "release", command: ["node", "migrate.js"] },
        seed: { type: "release", command: ["node", "seed.js"] },
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe("services.seed.type");
    expect(found[0]!.message).toContain('"migrate" and "seed"');
    expect(found[0]!.hint).toContain("one command");
  });
});

describe("health", () => {
  const api = (health: unknown) => withServices({ api: { type: "web", command: ["node", "s.js"], health } });

  it("accepts expected status codes and ranges, TCP and process checks", () => {
    expect(issues(api({ path: "/", expect: [200, 401] }))).toEqual([]);
    expect(issues(api({ expect: ["200-399"] }))).toEqual([]);
    expect(issues(api({ kind: "tcp" }))).toEqual([]);
    expect(issues(api({ kind: "process", timeoutSeconds: 5 }))).toEqual([]);
  });

  it("refuses an HTTP-only field on a TCP check and a backwards range", () => {
    expect(issues(api({ kind: "tcp", path: "/healthz" }))[0]).toMatchObject({
      path: "services.api.health.path",
      message: 'path applies to HTTP checks; this check is kind "tcp"',
    });
    expect(issues(api({ expect: ["399-200"] }))[0]!.path).toBe("services.api.health.expect.0");
    expect(issues(api({ expect: [99] }))[0]!.path).toBe("services.api.health.expect.0");
  });

  it("refuses health on a service that is not web, instead of ignoring it", () => {
    const found = issues(withServices({ worker: { type: "worker", command: ["node", "w.js"], health: {} } }));
    expect(found).toEqual([expect.objectContaining({ path: "services.worker.health" })]);
  });

  it("resolves a TCP check without an HTTP path, and keeps intervalSeconds", () => {
    const r = validateStack(api({ kind: "tcp", intervalSeconds: 5 }));
    if (!r.ok) throw new Error("rejected");
    expect(resolveServices(r.stack, "local")[0]!.health).toEqual({
      kind: "tcp",
      intervalSeconds: 5,
      timeoutSeconds: 60,
    });
  });
});

describe("cron schedule", () => {
  const cron = (schedule: string) =>
    withServices({ nightly: { type: "cron", command: ["node", "report.js"], schedule } });

  it("accepts 5 fields, 6 with seconds, and @daily", () => {
    for (const s of ["0 3 * * *", "*/30 * * * * *", "@daily", "0 9 * * mon-fri"])
      expect(issues(cron(s))).toEqual([]);
  });

  it("refuses what is not a cron expression when the spec loads, not when it would run", () => {
    for (const s of ["every day", "61 * * * *", "* * *"]) {
      const found = issues(cron(s));
      expect(found).toHaveLength(1);
      expect(found[0]!.path).toBe("services.nightly.schedule");
      expect(found[0]!.message).toMatch(/^not a cron expression/);
    }
  });
});

describe("$(…) references", () => {
  const stack = (api: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    withServices(
      {
        api: { type: "web", command: ["node", "s.js"], uses: ["db"], calls: ["rates"], ...api },
        rates: { type: "web", command: ["node", "r.js"] },
        worker: { type: "worker", command: ["node", "w.js", "--port", "$(PORT)"] },
      },
      { addons: { db: { type: "postgres", databases: ["app", "audit"] } }, ...extra },
    );

  it("accepts references to what Slipway injects: PORT, add-on vars, NAME_URL, SLIPWAY_*", () => {
    const found = issues(
      stack({
        command: ["postgraphile", "--port", "$(PORT)", "-c", "$(DATABASE_URL_AUDIT)", "$$(LITERAL)"],
        env: { PGURL: "$(DATABASE_URL)", R: "$(RATES_URL)/v1", S: "$(SLIPWAY_RELEASE)" },
      }),
    );
    // Only the worker's $(PORT) is wrong: a worker gets no port.
    expect(found).toEqual([
      {
        path: "services.worker.command.3",
        message: "$(PORT) is not a variable Slipway injects here",
        hint: expect.stringContaining("SLIPWAY_SERVICE"),
      },
    ]);
  });

  it("names the unknown variable and what it could be, in overrides too", () => {
    const found = issues(
      stack(
        { env: { PGURL: "$(DATABASE_ULR)", V: "$(SLIPWAY_VOLUME)" } },
        { environments: { prod: { services: { api: { env: { X: "$(NOPE)" } } } } } },
      ),
    );
    const api = found.filter((f) => f.path.includes("api"));
    expect(api.map((f) => f.path)).toEqual([
      "services.api.env.PGURL",
      "services.api.env.V",
      "environments.prod.services.api.env.X",
    ]);
    expect(api[0]!.message).toBe("$(DATABASE_ULR) is not a variable Slipway injects here");
    expect(api[0]!.hint).toContain("DATABASE_URL,");
  });

  it("refuses a malformed reference rather than passing it on", () => {
    const found = issues(stack({ command: ["node", "$(rm -rf /)"] }));
    expect(found[0]).toMatchObject({ path: "services.api.command.1" });
    expect(found[0]!.message).toContain('"$(rm -rf /)" is not a reference like $(PORT)');
  });

  it("knows SLIPWAY_VOLUME once the service has a volume", () => {
    expect(
      issues(stack({ volume: true, env: { DATA: "$(SLIPWAY_VOLUME)/db" } })).filter((f) =>
        f.path.includes("api"),
      ),
    ).toEqual([]);
  });
});

describe("resources and queue (rendered for Kubernetes)", () => {
  it("accepts CPU and memory quantities and lets an environment replace them", () => {
    const stack = withServices(
      { api: { type: "web", command: ["node", "s.js"], resources: { cpu: "0.5", memory: "1Gi" } } },
      { environments: { prod: { services: { api: { resources: { cpu: "2", memory: "4Gi" } } } }, dev: {} } },
    );
    const r = validateStack(stack, "slipway.config.ts");
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(resolveServices(r.stack, "dev")[0]!.resources).toEqual({ cpu: "0.5", memory: "1Gi" });
    expect(resolveServices(r.stack, "prod")[0]!.resources).toEqual({ cpu: "2", memory: "4Gi" });
  });

  it("refuses a quantity that is not one, naming the field", () => {
    const api = (resources: unknown) => withServices({ api: { type: "web", command: ["n"], resources } });
    expect(issues(api({ cpu: "lots" }))[0]).toMatchObject({ path: "services.api.resources.cpu" });
    expect(issues(api({ memory: "256 MB" }))[0]).toMatchObject({ path: "services.api.resources.memory" });
    expect(issues(api({ cpu: "0m" }))[0]).toMatchObject({ path: "services.api.resources.cpu" });
  });

  it("takes a queue on a worker only", () => {
    expect(issues(withServices({ w: { type: "worker", command: ["n"], queue: "jobs" } }))).toEqual([]);
    expect(issues(withServices({ c: { type: "web", command: ["n"], queue: "jobs" } }))[0]).toMatchObject({
      path: "services.c.queue",
      message: "a web service consumes no queue",
    });
  });
});
