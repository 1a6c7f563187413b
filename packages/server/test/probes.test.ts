import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandProbe, HttpProbe, ProbeSpec, TriggerPollProbe } from "@slipway/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statePaths } from "../src/paths";
import { probeAll, runCommandJob } from "../src/rollout/probes";
import { wireDriver } from "../src/wiring";

// Given a real HTTP server standing in for the environment's edge (it answers as the canary
// only when asked with the force-canary header, as the edge does) and the local target's job
// runner, when each kind of probe runs, then it passes on a healthy canary and fails on a
// broken one, with the reason in words and numbers.

interface Job {
  doneAt: number;
  fails: boolean;
}

let server: Server;
let baseUrl: string;
let dir: string;
const jobs = new Map<string, Job>();
let forcedRequests = 0;

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "slw-probes-"));
  server = createServer(async (req, res) => {
    const canary = req.headers["x-slipway-canary"] === "1";
    if (canary) forcedRequests++;
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === "/login") return json(200, { revision: canary ? "canary" : "stable" });
    if (url.pathname === "/slow-login") return setTimeout(() => json(200, {}), 60);
    if (url.pathname === "/broken") return json(canary ? 503 : 200, {});
    if (req.method === "POST" && url.pathname === "/api/jobs") {
      const { ms = 0, fail = false } = JSON.parse((await body(req)) || "{}");
      const id = `j${jobs.size + 1}`;
      jobs.set(id, { doneAt: Date.now() + ms, fails: fail });
      return json(202, { id });
    }
    const m = /^\/api\/jobs\/(\w+)$/.exec(url.pathname);
    const job = m?.[1] ? jobs.get(m[1]) : undefined;
    if (job)
      return json(200, { state: Date.now() < job.doneAt ? "active" : job.fails ? "failed" : "completed" });
    json(404, { error: "no such path" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const noCommands = {
  runCommand: async () => {
    throw new Error("no command probe here");
  },
};
const http = (over: Partial<HttpProbe>): HttpProbe => ({
  kind: "http",
  name: "login",
  method: "GET",
  path: "/login",
  calls: 10,
  p95BudgetMs: 250,
  expectStatus: [200],
  ...over,
});
const job = (over: Partial<TriggerPollProbe>): TriggerPollProbe => ({
  kind: "job",
  name: "square",
  trigger: { method: "POST", path: "/api/jobs", body: {} },
  idField: "id",
  poll: "/api/jobs/{id}",
  doneField: "state",
  doneValues: ["completed"],
  failedValues: ["failed"],
  deadlineSeconds: 30,
  pollIntervalMs: 20,
  ...over,
});
const run = (probes: ProbeSpec[]) => probeAll({ baseUrl, ...noCommands }, probes);

describe("HTTP probes", () => {
  it("pass within the latency budget, every call forced to the canary", async () => {
    const before = forcedRequests;
    // A budget no loaded machine misses: this test is about passing, the next about the budget.
    const [r] = await run([http({ p95BudgetMs: 5000 })]);
    expect(r).toMatchObject({ outcome: "pass", numbers: { answered: 10, budgetMs: 5000 } });
    expect(forcedRequests - before).toBe(10);
  });

  it("fail when the canary answers 5xx, or its p95 is over budget", async () => {
    const [broken, slow] = await run([
      http({ name: "broken", path: "/broken" }),
      http({ name: "slow", path: "/slow-login", p95BudgetMs: 20, calls: 5 }),
    ]);
    expect(broken).toMatchObject({ outcome: "fail" });
    expect(broken?.reason).toContain("1 of 1 calls answered 503, expected 200");
    expect(slow).toMatchObject({ outcome: "fail" });
    expect(slow?.reason).toMatch(/p95 \d+ ms over 5 calls, budget 20 ms/);
    expect(slow?.numbers.p95Ms).toBeGreaterThan(20);
  });

  it("hold (pending) when the edge cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const [r] = await probeAll({ baseUrl: `http://127.0.0.1:${port}`, ...noCommands }, [http({ calls: 2 })]);
    expect(r).toMatchObject({ outcome: "pending" });
    expect(r?.reason).toContain("ECONNREFUSED");
  });
});

describe("job and event probes (trigger, then poll)", () => {
  it("pass when the job completes before the deadline", async () => {
    const [r] = await run([job({ trigger: { method: "POST", path: "/api/jobs", body: { ms: 100 } } })]);
    expect(r).toMatchObject({ outcome: "pass" });
    expect(r?.numbers.elapsedMs).toBeGreaterThanOrEqual(100);
    expect(r?.reason).toMatch(/j\d+ was completed after \d+ ms, within 30000 ms/);
  });

  it("fail when the job fails, or is still running at the deadline", async () => {
    const [failed, late] = await run([
      job({ trigger: { method: "POST", path: "/api/jobs", body: { fail: true } } }),
      job({
        kind: "event",
        name: "delivery",
        trigger: { method: "POST", path: "/api/jobs", body: { ms: 5000 } },
        deadlineSeconds: 0.3,
      }),
    ]);
    expect(failed?.reason).toMatch(/j\d+ was failed after/);
    expect(failed?.outcome).toBe("fail");
    expect(late).toMatchObject({ outcome: "fail", kind: "event" });
    expect(late?.reason).toMatch(/still active after \d+ ms, deadline 300 ms/);
  });

  it("fail when the trigger path does not answer with an id", async () => {
    const [r] = await run([job({ trigger: { method: "POST", path: "/nowhere" } })]);
    expect(r).toMatchObject({
      outcome: "fail",
      reason: "job probe square: the trigger /nowhere answered 404",
    });
  });
});

describe("command probes (a job of the local target)", () => {
  const probe = (command: string[], timeoutSeconds = 60): CommandProbe => ({
    kind: "command",
    name: "hash",
    service: "api",
    command,
    timeoutSeconds,
  });
  let runs = 0;
  const runCommand = async (p: CommandProbe, env: Record<string, string> = {}) => {
    const runtime = wireDriver(statePaths(dir)).runtime;
    const id = `probe-test-${++runs}`;
    const observed = await runCommandJob(runtime, p, {
      id,
      argv: p.command,
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      nonce: `nonce-${id}-${process.pid}`,
      logFile: join(dir, "probes", `${id}.log`),
    });
    return probeAll({ baseUrl, runCommand: async () => observed }, [p]);
  };

  it("pass on exit 0, with the service's environment", async () => {
    const check = "process.exit(process.env.EXPECTED_HASH === 'abc' ? 0 : 1)";
    const [r] = await runCommand(probe([process.execPath, "-e", check]), { EXPECTED_HASH: "abc" });
    expect(r).toMatchObject({ outcome: "pass", numbers: { exitCode: 0 } });
  });

  it("fail on another exit code, with the end of its output; and past the timeout", async () => {
    const [bad] = await runCommand(
      probe([process.execPath, "-e", "console.log('hash changed'); process.exit(3)"]),
    );
    expect(bad).toMatchObject({ outcome: "fail", numbers: { exitCode: 3 } });
    expect(bad?.reason).toContain("exited 3; output ends: hash changed");
    const [slow] = await runCommand(probe([process.execPath, "-e", "setTimeout(() => {}, 60000)"], 0.5));
    expect(slow).toMatchObject({ outcome: "fail" });
    expect(slow?.reason).toContain("did not finish within 0.5 s");
  });
});
