import { describe, expect, it } from "vitest";
import type { ReleaseConfig, ServiceConfig } from "../release/config";
import { diffEnvironments } from "./diff";

const svc = (over: Partial<ServiceConfig> = {}): ServiceConfig => ({
  type: "web",
  command: ["node", "api.mjs"],
  env: {},
  replicas: 1,
  scale: { min: 1, max: 1 },
  uses: [],
  calls: [],
  drainSeconds: 30,
  ...over,
});
const config = (services: Record<string, ServiceConfig>): ReleaseConfig => ({ services, routes: [] });

describe("diffEnvironments", () => {
  it("names config keys that differ without ever showing a value", () => {
    const d = diffEnvironments(
      {
        name: "staging",
        build: "b1",
        config: config({ api: svc({ env: { A: "1", SECRET: "s3cr3t", OLD: "x" } }) }),
        strategy: { kind: "direct" },
      },
      {
        name: "prod",
        build: "b1",
        config: config({ api: svc({ env: { A: "1", SECRET: "other", NEW: "y" } }) }),
        strategy: { kind: "direct" },
      },
    );
    expect(d.build).toBeUndefined();
    expect(d.config).toEqual([
      { service: "api", onlyIn: { staging: ["OLD"], prod: ["NEW"] }, changed: ["SECRET"] },
    ]);
    expect(JSON.stringify(d)).not.toContain("s3cr3t");
  });
  it("reports build, scale, strategy and services that only one side runs", () => {
    const d = diffEnvironments(
      {
        name: "staging",
        build: "b2",
        config: config({ api: svc(), worker: svc({ type: "worker" }) }),
        strategy: { kind: "direct" },
      },
      {
        name: "prod",
        build: "b1",
        config: config({ api: svc({ replicas: 2, scale: { min: 2, max: 4 } }) }),
        strategy: { kind: "canary" },
      },
    );
    expect(d.build).toEqual(["b2", "b1"]);
    expect(d.scale).toEqual([{ service: "api", a: "1 (min 1, max 1)", b: "2 (min 2, max 4)" }]);
    expect(d.strategy).toEqual([{ kind: "direct" }, { kind: "canary" }]);
    expect(d.services).toEqual([{ service: "worker", onlyIn: "staging" }]);
  });
});
