import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, globalAgent, request, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeConfig, type EdgeServer, HaproxyEdge } from "../src/edge";
import { isLiveHaproxy, runHaproxy } from "../src/edge/haproxy-process";
import { renderHaproxyConfig } from "../src/edge/render";
import { freePort } from "../src/system/ports";

// Given a real HAProxy in front of tiny node:http upstreams that answer with their name
// (and after 200 ms on /slow), when traffic moves between them through the runtime API,
// then no request fails and the old upstream finishes what it started.

interface Upstream {
  name: string;
  port: number;
  server: Server;
}

async function startUpstream(name: string): Promise<Upstream> {
  const server = createServer((req, res) => {
    const reply = () => res.end(req.url === "/healthz" ? "ok" : name);
    if (req.url?.includes("/slow")) setTimeout(reply, 200);
    else reply();
  });
  // A minimal upgraded protocol: after the 101, echo every byte back.
  server.on("upgrade", (_req, socket: Socket) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
    socket.on("data", (d: Buffer) => socket.write(d));
    socket.on("end", () => socket.end());
    socket.on("error", () => {});
  });
  // Longer than any test: an upstream closing an idle keep-alive connection is a separate race.
  server.keepAliveTimeout = 60_000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { name, port, server };
}

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
  endedAt: number;
}

function get(
  port: number,
  path: string,
  opts: { agent?: Agent | false; cookie?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        agent: opts.agent,
        headers: opts.cookie ? { cookie: opts.cookie } : {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            setCookie: res.headers["set-cookie"] ?? [],
            endedAt: Date.now(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const ready = (u: Upstream, weight = 100): EdgeServer => ({
  name: u.name,
  port: u.port,
  weight,
  state: "ready",
});

describe("HaproxyEdge against a real HAProxy", () => {
  let dir: string;
  let v1: Upstream;
  let v2: Upstream;
  let core: Upstream;
  let edge: HaproxyEdge;
  let config: EdgeConfig;
  let logPort: number;
  let metricsPort: number;
  const edges: HaproxyEdge[] = [];
  let successor: HaproxyEdge; // the control plane after a restart, from the adoption test on

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slw-edge-"));
    [v1, v2, core] = await Promise.all([startUpstream("v1"), startUpstream("v2"), startUpstream("core")]);
    logPort = await freePort();
    metricsPort = await freePort();
    config = {
      env: "test",
      publicPort: await freePort(),
      routes: [{ path: "/app", backend: "web" }],
      backends: [
        {
          name: "web",
          health: { kind: "http", path: "/healthz", expectStatus: "200-299", intervalSeconds: 2 },
          servers: [ready(v1)],
        },
        // No route names it: private, reachable only on its internal listener.
        { name: "core", internalPort: await freePort(), servers: [ready(core)] },
      ],
    };
    edge = new HaproxyEdge({ stateDir: join(dir, "edge"), logPort, metricsPort, drainTimeoutMs: 5000 });
    edges.push(edge);
  });

  afterAll(async () => {
    for (const e of edges) await e.stop().catch(() => {});
    for (const u of [v1, v2, core]) {
      u?.server.closeAllConnections();
      u?.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts detached, serves routes, and keeps a private backend off the public port", async () => {
    const { pid, adopted } = await edge.ensure(config);
    expect(adopted).toBe(false);
    expect(pid).toBeGreaterThan(0);
    expect(await edge.isRunning()).toBe(true);

    expect((await get(config.publicPort, "/app")).body).toBe("v1");
    expect((await get(config.publicPort, "/app/x?y=1")).body).toBe("v1");
    const internal = config.backends[1]?.internalPort ?? 0;
    expect((await get(internal, "/anything")).body).toBe("core");
    for (const path of ["/", "/core", "/appx"]) {
      const r = await get(config.publicPort, path);
      expect(r.status).toBe(404);
      expect(r.body).not.toBe("core");
    }
  });

  it("switches v1 → v2 → v1 → v2 under keep-alive load with zero failed requests", async () => {
    let stop = false;
    const failures: string[] = [];
    const answeredBy = new Map<string, number>();
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 500 && !stop; i++) {
        try {
          const r = await get(config.publicPort, i % 25 === 0 ? "/app/slow" : "/app", { agent });
          if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
          answeredBy.set(r.body, (answeredBy.get(r.body) ?? 0) + 1);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      agent.destroy();
    };
    const load = Promise.all([client(), client(), client()]);
    const v1Cookie = (await get(config.publicPort, "/app")).setCookie[0]?.split(";")[0] ?? "";
    expect(v1Cookie).toMatch(/^SLW-web=[0-9a-f]{16}$/);

    const inFlightOnOld: Reply[] = [];
    let current = v1;
    for (const next of [v2, v1, v2]) {
      await sleep(150);
      // A slow request that is on the old server when the switch starts.
      const slow = get(config.publicPort, "/app/slow");
      await sleep(50);
      const switchedAt = Date.now();
      await edge.setServers("web", [ready(next)]);
      const done = Date.now();
      const r = await slow;
      expect(r).toMatchObject({ status: 200, body: current.name });
      // setServers waited for it before deleting the old server.
      expect(r.endedAt).toBeGreaterThan(switchedAt);
      expect(r.endedAt).toBeLessThanOrEqual(done);
      inFlightOnOld.push(r);
      current = next;
    }
    stop = true;
    await load;

    expect(failures).toEqual([]);
    expect(answeredBy.get("v1")).toBeGreaterThan(0);
    expect(answeredBy.get("v2")).toBeGreaterThan(0);
    expect(inFlightOnOld).toHaveLength(3);
    // Afterwards everyone is on v2, including a browser whose cookie names the deleted v1.
    const after = await Promise.all(
      Array.from({ length: 40 }, (_, i) => get(config.publicPort, "/app", i % 2 ? { cookie: v1Cookie } : {})),
    );
    expect(after.map((r) => r.body)).toEqual(after.map(() => "v2"));
    expect(Object.keys(await edge.sessions("web"))).toEqual(["v2"]);
  });

  it("keeps an upgraded connection (WebSocket) open across runtime changes", async () => {
    const tunnel = await new Promise<Socket>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: config.publicPort,
        path: "/app/ws",
        headers: { connection: "Upgrade", upgrade: "echo" },
      });
      req.on("upgrade", (_res, socket: Socket) => resolve(socket));
      req.on("response", (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
    const echo = (text: string) =>
      new Promise<string>((resolve) => {
        tunnel.once("data", (d: Buffer) => resolve(d.toString()));
        tunnel.write(text);
      });
    try {
      expect(await echo("ping")).toBe("ping");
      await edge.setServers("web", [ready(v2, 50), ready(v1, 50)]);
      await edge.setServers("web", [ready(v2, 10), ready(v1, 90)]);
      expect(await echo("still here")).toBe("still here");
    } finally {
      tunnel.destroy();
    }
  });

  it("keeps a browser on its server during a canary, and moves it when that server drains", async () => {
    await edge.setServers("web", [ready(v1, 50), ready(v2, 50)]);
    const first = await get(config.publicPort, "/app");
    const cookie = first.setCookie[0]?.split(";")[0] ?? "";
    const pinned = first.body;
    const other = pinned === "v1" ? "v2" : "v1";
    for (let i = 0; i < 10; i++) expect((await get(config.publicPort, "/app", { cookie })).body).toBe(pinned);

    // HAProxy alone would keep honouring the drained server's cookie.
    const up = pinned === "v1" ? v1 : v2;
    const down = pinned === "v1" ? v2 : v1;
    await edge.setServers("web", [{ ...ready(up, 50), state: "drain" }, ready(down, 50)]);
    for (let i = 0; i < 10; i++) expect((await get(config.publicPort, "/app", { cookie })).body).toBe(other);

    await edge.setServers("web", [ready(v1, 50), ready(v2, 50)]);
    expect((await get(config.publicPort, "/app", { cookie })).body).toBe(pinned);

    await edge.setServers("web", [{ ...ready(up, 50), state: "maint" }, ready(down, 50)]);
    expect((await get(config.publicPort, "/app", { cookie })).body).toBe(other);
    await edge.setServers("web", [ready(v1, 50), ready(v2, 50)]);
  });

  it("reports counters and latency percentiles per server", async () => {
    for (let i = 0; i < 20; i++) await get(config.publicPort, i % 5 ? "/app" : "/app/slow");
    // Log lines arrive shortly after the responses; the counters are exact at once.
    const logged = async () => (await edge.stats()).filter((s) => s.backend === "web" && s.latency).length;
    await until(async () => (await logged()) === 2);
    const stats = await edge.stats();
    const web = stats.filter((s) => s.backend === "web");
    expect(web.map((s) => s.server).sort()).toEqual(["v1", "v2"]);
    for (const s of web) {
      expect(s).toMatchObject({ status: expect.stringMatching(/^UP/), weight: 50, sessions: 0 });
      expect(s.requests).toBeGreaterThan(0);
      expect(s.responses["4xx"] + s.responses["5xx"] + s.responses.other).toBe(0);
      expect(s.latency?.samples).toBeGreaterThan(0);
      expect(s.latency?.p99Ms).toBeGreaterThanOrEqual(s.latency?.p50Ms ?? 0);
    }
    // The slow requests (200 ms) show in the tail on at least one server.
    expect(Math.max(...web.map((s) => s.latency?.maxMs ?? 0))).toBeGreaterThanOrEqual(190);
    expect(stats.find((s) => s.backend === "core")?.server).toBe("core");
    // The same counters for a Prometheus scraper.
    const metrics = (await get(metricsPort, "/metrics")).body;
    expect(metrics).toMatch(
      /^haproxy_server_http_responses_total\{proxy="web",server="v1",code="2xx"\} [1-9]/m,
    );
  });

  it("is adopted, not restarted, by a new HaproxyEdge on the same state directory", async () => {
    const before = await edge.ensure(config); // converges to config: web back to v1 only
    await edge.detach(); // the old control plane goes away (its log port is free again)
    successor = new HaproxyEdge({ stateDir: join(dir, "edge"), logPort, metricsPort, drainTimeoutMs: 5000 });
    edges.push(successor);
    expect(await successor.isRunning()).toBe(true);
    const after = await successor.ensure(config);
    expect(after).toEqual({ pid: before.pid, adopted: true });
    expect(await successor.sessions("web")).toEqual({ v1: 0 });
    expect((await get(config.publicPort, "/app")).body).toBe("v1");
    await successor.setServers("web", [ready(v2)]);
    expect((await get(config.publicPort, "/app")).body).toBe("v2");
    // The running HAProxy's log lines now reach the new control plane.
    await until(async () => (await successor.stats()).some((s) => s.server === "v2" && s.latency));
  });

  it("outlives a control plane killed with SIGKILL, and is adopted by the next one", async () => {
    const stateDir = join(dir, "killed");
    const publicPort = await freePort();
    const small: EdgeConfig = {
      env: "killed",
      publicPort,
      routes: [{ path: "/", backend: "web" }],
      backends: [],
    };
    small.backends = [{ name: "web", servers: [ready(v1)] }];
    // A separate Node process plays the control plane: it starts the edge, reports, and waits.
    const script = `const { HaproxyEdge } = await import(${JSON.stringify(join(import.meta.dirname, "../src/edge/index.ts"))});
const r = await new HaproxyEdge({ stateDir: process.argv[1] }).ensure(JSON.parse(process.argv[2]));
console.log(JSON.stringify(r)); setInterval(() => {}, 1000);`;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script, stateDir, JSON.stringify(small)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const started = await new Promise<{ pid: number }>((resolve, reject) => {
      child.stdout.once("data", (d: Buffer) => resolve(JSON.parse(d.toString())));
      child.once("exit", (code) => reject(new Error(`control plane exited ${code}`)));
    });
    const next = new HaproxyEdge({ stateDir });
    edges.push(next);
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
    expect((await get(publicPort, "/")).body).toBe("v1");
    expect(await next.ensure(small)).toEqual({ pid: started.pid, adopted: true });
  });

  it("reloads seamlessly when a route is added (a config change, not a traffic change)", async () => {
    const { pid: oldPid } = await successor.ensure({ ...config, backends: withWeb(config, [ready(v2)]) });
    const changed: EdgeConfig = {
      ...config,
      routes: [...config.routes, { path: "/new-route", backend: "web" }],
      backends: withWeb(config, [ready(v2)]),
    };
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 300 && !stop; i++)
        await get(config.publicPort, "/app", { agent }).then(
          (r) => r.status !== 200 && failures.push(String(r.status)),
          (e: Error) => failures.push(e.message),
        );
      agent.destroy();
    };
    const load = Promise.all([client(), client()]);
    await sleep(50);
    const { pid } = await successor.ensure(changed);
    stop = true;
    await load;
    expect(pid).not.toBe(oldPid);
    expect(failures).toEqual([]);
    // A kept-alive connection still belongs to the old process (its next answer says
    // "Connection: close"); a new connection meets the new config.
    globalAgent.destroy();
    expect((await get(config.publicPort, "/new-route", { agent: false })).body).toBe("v2");
    // The old process leaves once its clients' connections are gone.
    for (let i = 0; i < 100 && isLiveHaproxy(oldPid); i++) await sleep(30);
    expect(isLiveHaproxy(oldPid)).toBe(false);
  });

  it("logs about its budget of requests a second per backend; counters stay exact", async () => {
    const publicPort = await freePort();
    const small: EdgeConfig = {
      env: "budget",
      publicPort,
      routes: [{ path: "/", backend: "web" }],
      backends: [{ name: "web", servers: [ready(v1)] }],
    };
    const budgeted = new HaproxyEdge({
      stateDir: join(dir, "budget"),
      logPort: await freePort(),
      logBudgetPerSecond: 5,
    });
    edges.push(budgeted);
    await budgeted.ensure(small);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const began = Date.now();
    for (let i = 0; i < 200; i++) expect((await get(publicPort, "/", { agent })).status).toBe(200);
    const seconds = (Date.now() - began) / 1000;
    agent.destroy();
    await until(async () => (await budgeted.stats())[0]?.latency);
    await sleep(100); // stragglers
    const [web] = await budgeted.stats();
    expect(web?.requests).toBe(200);
    expect(web?.latency?.samples).toBeGreaterThan(0);
    // However long the requests took, about 5 a second were logged: the budget scales with the
    // time the load lasted (plus the first second, when the measured rate is still ramping up).
    expect(web?.latency?.samples).toBeLessThanOrEqual(5 * (Math.ceil(seconds) + 10));
    await budgeted.stop();
  });

  it("refuses a taken public port with SLW_PORT_IN_USE", async () => {
    const holder = createTcpServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const other = new HaproxyEdge({ stateDir: join(dir, "other") });
      edges.push(other);
      await expect(
        other.ensure({ ...config, publicPort: port, backends: [], routes: [] }),
      ).rejects.toMatchObject({
        code: "SLW_PORT_IN_USE",
      });
      expect(await other.isRunning()).toBe(false);
    } finally {
      holder.close();
    }
  });

  it("renders configs that haproxy -c accepts (metrics, sampled logs, dropped privileges)", async () => {
    const file = join(dir, "check.cfg");
    const text = renderHaproxyConfig(
      { ...config, routes: [...config.routes, { host: "Example.COM", path: "/", backend: "core" }] },
      {
        socketPath: join(dir, "check.sock"),
        drainAclPath: () => join(dir, "check.acl"),
        canaryMapPath: () => join(dir, "check.map"),
        cookieKey: "00112233445566778899aabbccddeeff",
        logPort: 5514,
        logSampleEvery: 10,
        metricsPort: 18404,
        runAs: { uid: 65534, gid: 65534 },
      },
    );
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "check.acl"), "");
    writeFileSync(join(dir, "check.map"), "");
    writeFileSync(file, text);
    const { code, output } = await runHaproxy("haproxy", ["-c", "-f", file], dir);
    expect(output).toContain("Configuration file is valid");
    expect(code).toBe(0);
  });
});

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => Promise<unknown>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms: ${check}`);
    await sleep(20);
  }
}

function withWeb(config: EdgeConfig, servers: EdgeServer[]) {
  return config.backends.map((b) => (b.name === "web" ? { ...b, servers } : b));
}
