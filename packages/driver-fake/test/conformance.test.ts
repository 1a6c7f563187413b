import { describeDriverConformance } from "@slipway/driver-fake/conformance";
import { fakeDriver } from "../src/fake-driver";
import { FakeWorld } from "../src/world";

describeDriverConformance("fake", async () => {
  const world = new FakeWorld();
  let trees = 0;
  let restores = 0;
  const process = (id: string, port: number, nonce: string) => ({
    id,
    argv: ["web"],
    cwd: "/app",
    env: { PORT: String(port), SLIPWAY_PROCESS_NONCE: nonce },
    logFile: `/logs/${id}.log`,
    drainSeconds: 1,
    health: { kind: "http" as const, url: `http://127.0.0.1:${port}/healthz` },
  });
  return {
    driver: fakeDriver({ world }).driver,
    restart: () => fakeDriver({ world }).driver,
    healthyProcess: (id, port, nonce) => process(id, port, nonce),
    unhealthyProcess(id, port) {
      world.whenProcess(id, { healthyAfterMs: Number.POSITIVE_INFINITY });
      return process(id, port, `${id}-nonce`);
    },
    job(id, exit) {
      world.whenJob(id, exit === "runs until stopped" ? { runsForMs: Number.POSITIVE_INFINITY } : { exit });
      return { id, argv: ["job"], cwd: "/app", env: {}, nonce: `${id}-nonce`, logFile: `/logs/${id}.log` };
    },
    async sourceTree(content) {
      const dir = `/src/tree-${++trees}`;
      world.setTree(dir, content);
      return dir;
    },
    addon: {
      config: { type: "postgres", version: 16, databases: ["app"] },
      record: { env: "test", name: "db", kind: "postgres", port: 5999, password: "pw", dataDir: "/data/db" },
      urlVariable: "DATABASE_URL",
    },
    backups: {
      postgres: {
        config: { type: "postgres", version: 16, databases: ["app"] },
        record: {
          env: "test",
          name: "pg",
          kind: "postgres",
          port: 5998,
          password: "pw",
          dataDir: "/data/pg",
        },
      },
      redis: {
        config: {
          type: "redis",
          maxmemory: "16mb",
          evictionPolicy: "noeviction",
          persistence: false,
          backup: { snapshots: "hourly" },
        },
        record: {
          env: "test",
          name: "cache",
          kind: "redis",
          port: 5997,
          password: "pw",
          dataDir: "/data/cache",
        },
      },
      repo: { location: "/backups/pg", key: new Uint8Array(32).fill(7) },
      into: async (what) => ({ dataDir: `/restores/${what}`, port: 6000 + ++restores }),
    },
    edge: { target: { env: "test" }, publicPort: 8080 },
    cleanup: async () => {},
  };
});
