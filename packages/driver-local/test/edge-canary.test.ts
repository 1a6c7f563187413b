import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeConfig, type EdgeServer, HaproxyEdge } from "../src/edge";
import { freePort } from "../src/system/ports";

// Given a real HAProxy with a stable and a canary upstream that answer with their name, when
// a rollout weights them, then a browser stays on the revision it got, a tester's header or
// cookie reaches the canary whatever the weights, and moving weights under load fails nothing.

interface Upstream {
  name: string;
  port: number;
  server: Server;
}

async function startUpstream(name: string): Promise<Upstream> {
  const server = createServer((_req, res) => res.end(name));
  server.keepAliveTimeout = 60_000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { name, port, server };
}

function get(
  port: number,
  headers: Record<string, string> = {},
  agent?: Agent,
): Promise<{ status: number; body: string; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, cookie: res.headers["set-cookie"]?.[0]?.split(";")[0] }),
      );
      res.on("error", reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("the edge during a canary (real HAProxy)", () => {
  let dir: string;
  let stable: Upstream;
  let canary: Upstream;
  let edge: HaproxyEdge;
  let config: EdgeConfig;
  const server = (u: Upstream, weight: number, extra: Partial<EdgeServer> = {}): EdgeServer => ({
    name: u.name,
    port: u.port,
    weight,
    state: "ready",
    ...extra,
  });
  const split = (stableWeight: number, canaryWeight: number, canaryExtra: Partial<EdgeServer> = {}) =>
    edge.setServers("web", [
      server(stable, stableWeight),
      server(canary, canaryWeight, { canary: true, ...canaryExtra }),
    ]);
  const bodies = async (n: number, headers: Record<string, string> = {}) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push((await get(config.publicPort, headers)).body);
    return seen;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slw-edge-canary-"));
    [stable, canary] = await Promise.all([startUpstream("web-r1"), startUpstream("web-r2")]);
    config = {
      env: "canary",
      publicPort: await freePort(),
      routes: [{ path: "/", backend: "web" }],
      backends: [{ name: "web", servers: [server(stable, 100)] }],
    };
    edge = new HaproxyEdge({ stateDir: join(dir, "edge"), drainTimeoutMs: 2000 });
    await edge.ensure(config);
  });

  afterAll(async () => {
    await edge?.stop().catch(() => {});
    for (const u of [stable, canary]) {
      u?.server.closeAllConnections();
      u?.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps each cookie holder on its revision over 50 requests at weights 90/10", async () => {
    await split(90, 10);
    const cookieOf = new Map<string, string>();
    for (let i = 0; i < 200 && cookieOf.size < 2; i++) {
      const r = await get(config.publicPort);
      if (r.cookie && !cookieOf.has(r.body)) cookieOf.set(r.body, r.cookie);
    }
    expect([...cookieOf.keys()].sort()).toEqual(["web-r1", "web-r2"]);
    for (const [revision, cookie] of cookieOf)
      expect(await bodies(50, { cookie })).toEqual(Array.from({ length: 50 }, () => revision));
  });

  it("sends the force-canary header or cookie to the canary at weight 0, and no one else", async () => {
    await split(100, 0);
    const all = (name: string, n: number) => Array.from({ length: n }, () => name);
    expect(await bodies(20, { "x-slipway-canary": "1" })).toEqual(all("web-r2", 20));
    expect(await bodies(20, { cookie: "session=abc; slipway-canary=1" })).toEqual(all("web-r2", 20));
    expect(await bodies(20)).toEqual(all("web-r1", 20));
    // A browser pinned to stable that asks for the canary gets it, and keeps its own cookie.
    const pinned = (await get(config.publicPort)).cookie ?? "";
    const forced = await get(config.publicPort, { cookie: pinned, "x-slipway-canary": "1" });
    expect(forced).toMatchObject({ body: "web-r2", cookie: undefined });
    expect((await get(config.publicPort, { cookie: pinned })).body).toBe("web-r1");
    // The map's file carries the canary's cookie across an HAProxy restart.
    expect(readFileSync(join(dir, "edge", "canary-web.map"), "utf8")).toMatch(/^web [0-9a-f]{16}\n$/);
  });

  it("falls back to the weights when the canary drains or is gone", async () => {
    await split(50, 50);
    let canaryCookie: string | undefined;
    for (let i = 0; i < 20 && !canaryCookie; i++) {
      const r = await get(config.publicPort);
      if (r.body === "web-r2") canaryCookie = r.cookie;
    }
    expect(canaryCookie).toBeDefined();
    await split(100, 0, { state: "drain" });
    expect(await bodies(10, { "x-slipway-canary": "1" })).not.toContain("web-r2");
    expect(await bodies(10, { cookie: canaryCookie ?? "" })).not.toContain("web-r2");

    await edge.setServers("web", [server(stable, 100)]);
    expect(await bodies(10, { "x-slipway-canary": "1", cookie: canaryCookie ?? "" })).not.toContain("web-r2");
    expect(readFileSync(join(dir, "edge", "canary-web.map"), "utf8")).toBe("");
  });

  it("fails no request while weights move 5 → 25 → 50 → 100 and back under keep-alive load", async () => {
    await split(95, 5);
    let stop = false;
    const failures: string[] = [];
    const answered = new Set<string>();
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        try {
          const r = await get(config.publicPort, {}, agent);
          if (r.status === 200) answered.add(r.body);
          else failures.push(`${r.status} ${r.body}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      agent.destroy();
    };
    const load = Promise.all([client(), client(), client()]);
    for (const [s, c] of [
      [75, 25],
      [50, 50],
      [0, 100],
      [100, 0],
      [95, 5],
    ] as const) {
      await new Promise((r) => setTimeout(r, 100));
      await split(s, c);
    }
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect([...answered].sort()).toEqual(["web-r1", "web-r2"]);
  });
});
