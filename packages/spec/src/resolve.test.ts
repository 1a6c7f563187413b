import { SlipwayError } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH, JOB_SCALE, resolveServices } from "./resolve";
import { type Stack, type StackInput, stackSchema } from "./schema";

const input: StackInput = {
  name: "shop",
  services: {
    api: {
      type: "web",
      command: ["node", "api.js"],
      env: { LOG: "info", A: "1" },
      scale: { min: 1, max: 3 },
    },
    site: { type: "web", command: ["node", "site.js"], health: { path: "/up" } },
    worker: { type: "worker", command: ["node", "worker.js"] },
    migrate: { type: "release", command: ["node", "migrate.js"], env: { LOG: "info" } },
    nightly: { type: "cron", command: ["node", "report.js"], schedule: "0 3 * * *" },
  },
  environments: {
    local: {},
    prod: {
      services: {
        api: { env: { LOG: "warn", B: "2" }, scale: { min: 2, max: 6 } },
        worker: { scale: { min: 1, max: 4 } },
        migrate: { env: { LOG: "debug" } },
      },
    },
  },
};
const stack: Stack = stackSchema.parse(input);

function byName(env: string) {
  return Object.fromEntries(resolveServices(stack, env).map((s) => [s.name, s]));
}

describe("resolveServices", () => {
  it("returns every service, in spec order", () => {
    expect(resolveServices(stack, "local").map((s) => s.name)).toEqual([
      "api",
      "site",
      "worker",
      "migrate",
      "nightly",
    ]);
  });

  it("uses the service's own settings where the environment overrides nothing", () => {
    const local = byName("local");
    expect(local.api).toMatchObject({ env: { LOG: "info", A: "1" }, scale: { min: 1, max: 3 } });
    expect(local.worker!.scale).toEqual({ min: 1, max: 1 });
  });

  it("merges environment env vars over the service's and replaces its scale", () => {
    const prod = byName("prod");
    expect(prod.api!.env).toEqual({ LOG: "warn", A: "1", B: "2" });
    expect(prod.api!.scale).toEqual({ min: 2, max: 6 });
    expect(prod.worker!.scale).toEqual({ min: 1, max: 4 });
    expect(prod.migrate!.env).toEqual({ LOG: "debug" });
  });

  it("fills web health defaults and keeps what the spec sets", () => {
    const local = byName("local");
    expect(local.api!.health).toEqual(DEFAULT_HEALTH);
    expect(DEFAULT_HEALTH).toEqual({
      kind: "http",
      path: "/healthz",
      intervalSeconds: 2,
      timeoutSeconds: 60,
    });
    expect(local.site!.health).toEqual({ kind: "http", path: "/up", intervalSeconds: 2, timeoutSeconds: 60 });
    expect(local.worker!.health).toBeUndefined();
  });

  it("gives jobs (release, cron) a 0..0 scale: nothing is kept running between runs", () => {
    const prod = byName("prod");
    expect(prod.migrate!.scale).toEqual(JOB_SCALE);
    expect(prod.nightly!.scale).toEqual({ min: 0, max: 0 });
  });

  it("does not modify the stack or share its objects", () => {
    const before = structuredClone(stack);
    const api = byName("prod").api!;
    api.env.X = "mutated";
    api.command.push("--mutated");
    api.scale.max = 99;
    expect(stack).toEqual(before);
  });

  it("throws SLW_NOT_FOUND listing the environments for an unknown name", () => {
    const attempt = () => resolveServices(stack, "staging");
    expect(attempt).toThrow(SlipwayError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({
        code: "SLW_NOT_FOUND",
        hint: "use one of: local, prod",
        detail: { environment: "staging", environments: ["local", "prod"] },
      });
    }
    expect(() => resolveServices(stack, "constructor")).toThrow(/no environment named "constructor"/);
  });
});
