import { describe, expect, it } from "vitest";
import { deploymentManifest } from "./manifest";

describe("deploymentManifest", () => {
  it("gives version, environment, services with url and commit, infrastructure with versions", () => {
    const m = deploymentManifest({
      environment: "staging",
      live: {
        number: 3,
        buildId: "b".repeat(64),
        gitSha: "a".repeat(40),
        config: {
          services: {
            api: { type: "web", command: ["x"], env: {}, replicas: 2, uses: [], calls: [], drainSeconds: 1 },
            worker: {
              type: "worker",
              command: ["x"],
              env: {},
              replicas: 1,
              uses: [],
              calls: [],
              drainSeconds: 1,
            },
            migrate: {
              type: "release",
              command: ["x"],
              env: {},
              replicas: 0,
              uses: [],
              calls: [],
              drainSeconds: 1,
            },
          },
          routes: [{ path: "/api", service: "api" }],
          addons: { db: { type: "postgres", version: 16, databases: ["shop"] } },
        },
      },
      edgeUrl: "http://127.0.0.1:9000",
      running: { api: 1, worker: 1 },
      lastApplied: "2026-11-30T12:00:00.000Z",
      target: { name: "local", version: "0.1.0" },
    });
    expect(m).toEqual({
      version: "v3",
      environment: "staging",
      build: "b".repeat(64),
      services: {
        api: {
          type: "web",
          url: "http://127.0.0.1:9000/api",
          commit: "a".repeat(40),
          status: "degraded 1/2",
        },
        worker: { type: "worker", commit: "a".repeat(40), status: "running 1/1" },
        migrate: { type: "release", commit: "a".repeat(40), status: "on demand" },
      },
      infrastructure: {
        target: "local",
        versions: { "slipway-local": "0.1.0", db: "postgres 16" },
        last_applied: "2026-11-30T12:00:00.000Z",
      },
    });
  });
  it("says plainly that nothing is live yet", () => {
    const m = deploymentManifest({
      environment: "prod",
      edgeUrl: null,
      running: {},
      lastApplied: null,
      target: { name: "local", version: "0.1.0" },
    });
    expect(m.version).toBeNull();
    expect(m.services).toEqual({});
  });
});
