import { describe, expect, it } from "vitest";
import type { ReleaseConfig } from "./config";
import { configChanges } from "./config-diff";

const api = (env: Record<string, string>, replicas = 1) => ({
  type: "web" as const,
  command: ["node", "api.mjs"],
  env,
  replicas,
  uses: [],
  calls: [],
  drainSeconds: 30,
});

describe("configChanges", () => {
  it("names the paths added, removed and changed, never the values", () => {
    const v1: ReleaseConfig = { services: { api: api({ GREETING: "hi", OLD: "x" }) }, routes: [] };
    const v2: ReleaseConfig = {
      services: { api: api({ GREETING: "hello", NEW: "secret-ish" }, 2) },
      routes: [{ path: "/", service: "api" }],
    };
    const changes = configChanges(v1, v2);
    expect(changes).toEqual([
      { path: "routes", change: "changed" },
      { path: "services.api.env.GREETING", change: "changed" },
      { path: "services.api.env.NEW", change: "added" },
      { path: "services.api.env.OLD", change: "removed" },
      { path: "services.api.replicas", change: "changed" },
    ]);
    expect(JSON.stringify(changes)).not.toContain("secret-ish");
  });

  it("finds nothing between a config and itself, whatever the key order", () => {
    const v1: ReleaseConfig = { services: { api: api({ A: "1", B: "2" }) }, routes: [] };
    const reordered: ReleaseConfig = { routes: [], services: { api: api({ B: "2", A: "1" }) } };
    expect(configChanges(v1, reordered)).toEqual([]);
  });
});
