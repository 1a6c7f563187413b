import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { ProcessSpec } from "@slipway/core";
import { describeDriverConformance } from "@slipway/driver-fake/conformance";
import { localDriver } from "../src/local-driver";
import { freePort } from "../src/system/ports";

// The shared port contract, on this machine: real processes, a real HAProxy, a real Redis,
// real builds. The service user must be able to walk down to everything, hence /tmp and 755.

const SCRIPTS = {
  // Answers its health check with `STATUS` (200 unless told otherwise).
  "web.js": `
    const http = require("node:http");
    const server = http.createServer((req, res) => res.writeHead(Number(process.env.STATUS ?? 200)).end());
    process.on("SIGTERM", () => server.close(() => process.exit(0)));
    server.listen(Number(process.env.PORT), "127.0.0.1");`,
  "job.js": `
    if (process.env.EXIT === "never") setInterval(() => {}, 1000);
    else process.exit(Number(process.env.EXIT));`,
};

describeDriverConformance("local", async () => {
  const root = mkdtempSync("/tmp/slipway-conformance-");
  chmodSync(root, 0o755);
  for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(root, name), text, { mode: 0o644 });
  const options = {
    edgeDir: (env: string) => join(root, "edges", env),
    buildsDir: join(root, "builds"),
    depsDir: join(root, "deps"),
  };
  const drivers = [localDriver(options)];
  let trees = 0;
  const web = (id: string, port: number, extra: Record<string, string>): ProcessSpec => ({
    id,
    argv: [process.execPath, join(root, "web.js")],
    cwd: root,
    env: { PORT: String(port), ...extra },
    logFile: join(root, "logs", `${id.replaceAll("/", "_")}.log`),
    drainSeconds: 2,
    health: { kind: "http", url: `http://127.0.0.1:${port}/healthz` },
  });
  return {
    driver: drivers[0]!,
    restart() {
      const next = localDriver(options);
      drivers.push(next);
      return next;
    },
    healthyProcess: (id, port, nonce) => web(id, port, { SLIPWAY_PROCESS_NONCE: nonce }),
    unhealthyProcess: (id, port) => web(id, port, { STATUS: "503" }),
    job: (id, exit) => ({
      id,
      argv: [process.execPath, join(root, "job.js")],
      cwd: root,
      env: { EXIT: exit === "runs until stopped" ? "never" : String(exit) },
      nonce: `${id.replace(/\W/g, "")}-nonce`,
      logFile: join(root, "jobs", `${id.replaceAll("/", "_")}.log`),
    }),
    async sourceTree(content) {
      const dir = join(root, "src", `tree-${++trees}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "app.mjs"), `console.log(${JSON.stringify(content)})\n`);
      return dir;
    },
    addon: {
      config: { type: "redis", maxmemory: "16mb", evictionPolicy: "noeviction", persistence: false },
      record: {
        env: "conformance",
        name: "cache",
        kind: "redis",
        port: await freePort(),
        password: "conformance-password",
        dataDir: join(root, "cache data"),
      },
      urlVariable: "REDIS_URL",
    },
    backups: {
      postgres: {
        config: { type: "postgres", version: 15, databases: ["app"] },
        record: {
          env: "conformance",
          name: "db",
          kind: "postgres",
          port: await freePort(),
          password: "conformance-pg",
          dataDir: join(root, "db data"),
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
          env: "conformance",
          name: "snapcache",
          kind: "redis",
          port: await freePort(),
          password: "conformance-redis",
          dataDir: join(root, "snapcache data"),
        },
      },
      repo: { location: join(root, "backups", "db"), key: randomBytes(32) },
      into: async (what) => ({ dataDir: join(root, "restores", what), port: await freePort() }),
    },
    edge: { target: { env: "conformance" }, publicPort: await freePort() },
    canListen: (port) =>
      new Promise((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
      }),
    async cleanup() {
      for (const d of drivers) for (const p of d.runtime.list()) await d.runtime.stop(p.id, 1_000);
      rmSync(root, { recursive: true, force: true });
    },
  };
});
