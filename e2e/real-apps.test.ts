import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, eventually, processesUnder, REPO, removeProject, slipway } from "./harness";

/**
 * A stack of "published" programs run without wrappers: a server installed as a dependency's
 * bin that takes its port and data directory as flags ($(PORT), $(SLIPWAY_VOLUME)) and
 * answers 401 on its health path, and a cron job. Given that stack in a fresh directory; when
 * it is brought up, deployed again and broken on purpose; then each spec field does what it says.
 */

// The dependency's bin, as `npm ci` would install it: node_modules/.bin/hello-srv, a #!node script.
const MAKE_BIN = `
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
mkdirSync("node_modules/.bin", { recursive: true });
writeFileSync("node_modules/.bin/hello-srv", \`#!/usr/bin/env node
const { createServer } = require("node:http");
const { appendFileSync, readFileSync } = require("node:fs");
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const data = arg("--data");
const server = createServer((req, res) => {
  if (req.url === "/") {
    appendFileSync(data + "/hits", process.env.SLIPWAY_RELEASE + "\\\\n");
    return res.writeHead(401).end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, hits: readFileSync(data + "/hits", "utf8").split("\\\\n").filter(Boolean), where: process.env.WHERE }));
  }
  res.writeHead(404).end("no such page here");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
server.listen(Number(arg("--port")), "127.0.0.1");
\`);
chmodSync("node_modules/.bin/hello-srv", 0o755);
`;

const SPEC = `import { defineStack } from "@slipway/spec";
export default defineStack({
  name: "real",
  services: {
    web: {
      type: "web",
      command: ["hello-srv", "--port", "$(PORT)", "--data", "$(SLIPWAY_VOLUME)"],
      volume: true,
      env: { WHERE: "$(SLIPWAY_VOLUME)/hits" },
      health: { path: "/", expect: [200, 401], intervalSeconds: 0.5 },
      drainSeconds: 1,
    },
    tick: { type: "cron", command: ["node", "tick.mjs"], schedule: "*/2 * * * * *" },
  },
  routes: [{ path: "/", service: "web" }],
  build: { command: ["node", "make-bin.mjs"] },
});
`;

interface Status {
  environments: {
    cron: {
      service: string;
      lastRun: { state: string; exitCode: number | null; durationMs: number | null } | null;
      nextRun: string | null;
    }[];
    volumes: { service: string; path: string }[];
  }[];
}

describe("real applications without wrappers", () => {
  let dir: string;
  let edge: string;
  const config = () => join(dir, "slipway.config.ts");
  const status = async () =>
    JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout)
      .environments[0] as Status["environments"][0];
  const hit = async () => {
    const res = await fetch(`${edge}/`);
    return {
      status: res.status,
      body: (await res.json()) as { release: string; hits: string[]; where: string },
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/slipway-e2e-real-");
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "slipway.config.ts"), SPEC);
    writeFileSync(join(dir, "make-bin.mjs"), MAKE_BIN);
    writeFileSync(join(dir, "tick.mjs"), 'console.log("tick " + process.env.SLIPWAY_RELEASE);\n');
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    edge = (JSON.parse(up.stdout) as { environment: { url: string } }).environment.url;
  });

  afterAll(async () => {
    const down = await slipway(["down", "--dir", dir]);
    expect(down.code, down.stderr).toBe(0);
    expect(processesUnder(dir)).toEqual([]);
    removeProject(dir);
  });

  it("runs a dependency's bin by name, with $(PORT) and $(SLIPWAY_VOLUME) expanded", async () => {
    const r = await hit();
    expect(r.status).toBe(401);
    expect(r.body.release).toBe("v1");
    const volume = (await status()).volumes;
    expect(volume).toEqual([
      { service: "web", path: join(dir, ".slipway", "envs", "local", "volumes", "web") },
    ]);
    expect(r.body.where).toBe(`${volume[0]!.path}/hits`);
  });

  it("keeps serving a 401 it was told is healthy, at the edge too (checked every 0.5 s)", async () => {
    // Two failed edge checks would take the only server out (503); several intervals pass here.
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) expect((await hit()).status).toBe(401);
  });

  it("runs the cron job on schedule: output in logs, last and next run in status, events", async () => {
    const done = await eventually(async () => {
      const c = (await status()).cron.find((x) => x.service === "tick");
      return c?.lastRun?.state === "succeeded" ? c : undefined;
    });
    expect(done.lastRun).toMatchObject({ exitCode: 0, durationMs: expect.any(Number) });
    expect(Date.parse(done.nextRun!)).toBeGreaterThan(Date.now() - 5_000);
    const logs = await slipway(["logs", "tick", "--dir", dir]);
    expect(logs.stdout).toContain("tick v1");
    const events = await slipway(["events", "--dir", dir, "--json"]);
    expect(events.stdout).toContain("cron.run.succeeded");
    const human = await slipway(["status", "--dir", dir]);
    expect(human.stdout).toMatch(/tick\s+\*\/2 \* \* \* \* \* \(UTC\)/);
  });

  it("keeps the volume's files across a deploy", async () => {
    editFile(config(), (t) =>
      t.replace('WHERE: "$(SLIPWAY_VOLUME)/hits"', 'WHERE: "$(SLIPWAY_VOLUME)/hits", V: "2"'),
    );
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    const after = await hit();
    expect(after.body.release).toBe("v2");
    expect(after.body.hits).toContain("v1");
    expect(after.body.hits.at(-1)).toBe("v2");
  });

  it("does not run Slipway's own tools: a command not in the app's dependencies fails clearly", async () => {
    // tsx is one of Slipway's own dependencies, on the PATH of this test and of the control plane.
    editFile(config(), (t) =>
      t.replace("    tick:", '    shadow: { type: "worker", command: ["tsx", "--version"] },\n    tick:'),
    );
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot run "tsx": not found on PATH');
    expect(r.stderr).toContain("node_modules/.bin");
    expect(r.stderr).not.toContain(join(REPO, "node_modules"));
    expect((await hit()).body.release).toBe("v2");
  });

  it("says which URL a failing health check probed and what it answered", async () => {
    editFile(config(), (t) =>
      t.replace('    shadow: { type: "worker", command: ["tsx", "--version"] },\n', "").replace(
        'health: { path: "/", expect: [200, 401], intervalSeconds: 0.5 }',
        // Long enough for the app to listen on a loaded machine: the check must see its 404.
        'health: { path: "/nope", timeoutSeconds: 20 }',
      ),
    );
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_UNHEALTHY");
    expect(r.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/nope answered 404 "no such page here"/);
    const events = await slipway(["events", "--dir", dir, "--json"]);
    // Newest first: the first rollout.failed is this deploy's.
    const failed = (JSON.parse(events.stdout) as { kind: string; message: string }[]).find(
      (e) => e.kind === "rollout.failed",
    );
    expect(failed?.message).toMatch(/\/nope answered 404 "no such page here"\) did not become healthy/);
    expect((await hit()).body.release).toBe("v2");
  });

  it("refuses an unknown $(NAME) before anything is deployed", async () => {
    editFile(config(), (t) => t.replace('"--port", "$(PORT)"', '"--port", "$(PROT)"'));
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SLW_SPEC_INVALID");
    expect(r.stderr).toContain("services.web.command");
    expect(r.stderr).toContain("$(PROT) is not a variable Slipway injects here");
  });
});

describe("slipway init", () => {
  it("writes a stack that `up` runs as written, in an empty directory", async () => {
    const dir = mkdtempSync("/tmp/slipway-e2e-init-");
    chmodSync(dir, 0o755);
    try {
      const init = await slipway(["init", "--dir", dir]);
      expect(init.code, init.stderr).toBe(0);
      const up = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
      expect(up.code, up.stderr + up.stdout).toBe(0);
      const url = (JSON.parse(up.stdout) as { environment: { url: string } }).environment.url;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello from local (v1 in local)\n");
      const down = await slipway(["down", "--dir", dir]);
      expect(down.code, down.stderr).toBe(0);
      expect(processesUnder(dir)).toEqual([]);
    } finally {
      removeProject(dir);
    }
  });
});
