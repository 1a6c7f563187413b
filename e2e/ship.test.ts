import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answeredBetween,
  downCleanly,
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  slipwayFollow,
  startLoad,
  upDetached,
} from "./harness";

// The private `rates` service answers with this rate: a value nothing else in the stack says,
// so a response carrying it can only have come from `rates` itself.
const PRIVATE_RATE = "7.654321";

/** A GET with the path sent as written (no URL normalisation) and any Host header. */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path} (host ${host}) timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * The main job, end to end through the CLI: up → deploy v2 under load → rollback → down.
 * Given the example stack in a fresh directory; when a user ships and rolls back; then no
 * request fails, each migration ran once, config follows the release, nothing is left.
 */
describe("ship the example stack", () => {
  let dir: string;
  let edge: string;
  let api: string;
  let token: string;

  beforeAll(async () => {
    dir = makeProject("ship");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace('BASE_RATE: "1.1"', `BASE_RATE: "${PRIVATE_RATE}"`),
    );
    const up = await upDetached(dir);
    edge = up.edge;
    api = up.api;
    token = up.token ?? "";
  });

  afterAll(() => finishProject(dir));

  it("serves v1 through the edge, with the first admin token shown once", async () => {
    expect(edge).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token).toMatch(/^slw_/);
    const v = await getJson<{ release: string; greeting: string }>(`${edge}/api/version`);
    expect(v.release).toBe("v1");
    expect(v.greeting).toContain("v1");
  });

  it("reaches the private service only through the service that calls it", async () => {
    // The api reaches `rates` through RATES_URL: its quote is the private service's answer.
    const quote = await getJson<{ rate: number }>(`${edge}/api/quote`);
    expect(quote.rate).toBe(Number(PRIVATE_RATE));
    const apiProcess = processesUnder(dir).find((p) => /[ /]api\.mjs$/.test(p.cmd));
    expect(apiProcess, "the api process").toBeDefined();
    const ratesUrl = readFileSync(`/proc/${apiProcess!.pid}/environ`, "utf8")
      .split("\0")
      .find((v) => v.startsWith("RATES_URL="))
      ?.slice("RATES_URL=".length);
    expect(ratesUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const own = await getJson<{ rate: number }>(new URL("/rate", ratesUrl).href);
    expect(own.rate).toBe(Number(PRIVATE_RATE));

    // Through the public port, no path or Host header gets that answer out of `rates`.
    const publicPort = Number(new URL(edge).port);
    const internal = new URL(ratesUrl!).host;
    const paths = [
      "/rate",
      "/rate/",
      "/rates",
      "/rates/rate",
      "/api/../rate",
      "/%2e%2e/rate",
      "//rate",
      "/api/rate",
    ];
    const hosts = [`127.0.0.1:${publicPort}`, "rates", "rates.local", "rates:80", internal, "localhost"];
    const leaked: string[] = [];
    for (const path of paths)
      for (const host of hosts) {
        const r = await rawGet(publicPort, path, host);
        if (r.body.includes(PRIVATE_RATE)) leaked.push(`${path} (Host: ${host}) → ${r.status} ${r.body}`);
      }
    expect(leaked).toEqual([]);
  });

  it("runs a queued job on the worker and stores an upload in the bucket", async () => {
    const job = await getJson<{ id: string }>(`${edge}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 21 }),
    });
    await eventually(
      async () => (await getJson<{ state: string }>(`${edge}/api/jobs/${job.id}`)).state === "completed",
    );
    // A job that fails its first attempt: the worker's log shows it live through `logs -f`.
    const follow = slipwayFollow(["logs", "worker", "--dir", dir, "-f", "-n", "1"]);
    await eventually(async () => follow.output().length > 0); // following from here on
    const flaky = await getJson<{ id: string }>(`${edge}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 3, fail: 1 }),
    });
    await eventually(async () => follow.output().includes(`job ${flaky.id} attempt 1`));
    await follow.stop();
    const put = await getJson<{ key: string }>(`${edge}/api/uploads`, {
      method: "POST",
      body: "hello bucket",
    });
    expect(await (await fetch(`${edge}/api/uploads/${put.key}`)).text()).toBe("hello bucket");
  });

  it("deploys v2 and rolls back under steady load with zero failed requests", async () => {
    const load = startLoad(`${edge}/api/version`, { concurrency: 4, ratePerLoop: 20 });
    await eventually(async () => (await fetch(`${edge}/api/version`)).ok); // the load is under way
    const deployFrom = Date.now();

    // v2: new code (a migration) and new config (GREETING).
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace(/hello from v1/g, "hello from v2"));
    writeFileSync(
      join(dir, "migrations", "099_e2e.sql"),
      "create table if not exists e2e_marker (id int);\n",
    );
    const deploy = await slipway(["deploy", "--dir", dir, "--json"]);
    const deployTo = Date.now();
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(JSON.parse(deploy.stdout).release).toBe(2);
    const v2 = await getJson<{ release: string; greeting: string }>(`${edge}/api/version`);
    expect(v2).toMatchObject({ release: "v2", greeting: expect.stringContaining("v2") });

    const rollbackFrom = Date.now();
    const rollback = await slipway(["rollback", "--dir", dir, "--json"]);
    const rollbackTo = Date.now();
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout).release).toBe(3);
    const v3 = await getJson<{ release: string; greeting: string; build: string }>(`${edge}/api/version`);
    // The config rolled back with the release: v3 runs v1's build with v1's GREETING.
    expect(v3.release).toBe("v3");
    expect(v3.greeting).toContain("v1");

    const report = await load.stop();
    expect(report.failures).toEqual([]);
    // The load kept being answered through both operations, not only around them.
    expect(answeredBetween(report, deployFrom, deployTo)).toBeGreaterThan(0);
    expect(answeredBetween(report, rollbackFrom, rollbackTo)).toBeGreaterThan(0);
    expect(Object.keys(report.byRelease).sort()).toEqual(["v1", "v2", "v3"]);
  });

  it("ran each release job exactly once, before its traffic, and never for the rollback", async () => {
    const rows = await getJson<{ release: string }[] | { rows: { release: string }[] }>(
      `${edge}/api/release-jobs`,
    );
    const list = Array.isArray(rows) ? rows : rows.rows;
    expect(list.map((r) => r.release).sort()).toEqual(["v1", "v2"]);
    const releases = await slipway(["releases", "--dir", dir, "--json"]);
    const parsed = JSON.parse(releases.stdout) as {
      number: number;
      buildId: string;
      jobStatus: string;
      rollbackOf: string | null;
    }[];
    const byNumber = Object.fromEntries(parsed.map((r) => [r.number, r]));
    expect(byNumber[3]!.buildId).toBe(byNumber[1]!.buildId);
    expect(byNumber[3]!.jobStatus).toBe("none");
    expect(byNumber[2]!.jobStatus).toBe("succeeded");
  });

  it("shows status, logs and the audit trail", async () => {
    const status = await slipway(["status", "--dir", dir, "--json"]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      environments: { live: { release: number }; processes: { state: string }[] }[];
    };
    expect(s.environments[0]!.live.release).toBe(3);
    const human = await slipway(["status", "--dir", dir]);
    expect(human.stdout).toContain("PROCESS");
    const logs = await slipway(["logs", "api", "--dir", dir, "-n", "50"]);
    expect(logs.code).toBe(0);
    const job = await slipway(["logs", "migrate", "--dir", dir]);
    expect(job.stdout).toMatch(/\[migrate v2\] release v2: 1 migration\(s\) applied/);
    const events = await slipway(["events", "--dir", dir, "--json"]);
    const kinds = (JSON.parse(events.stdout) as { kind: string }[]).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["deploy.requested", "rollback.requested", "traffic.switched"]),
    );
  });

  it("refuses a viewer token for a deploy, and an unknown token for anything", async () => {
    const viewer = await getJson<{ token: string }>(`${api}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "dashboard", role: "viewer" }),
    });
    const denied = await fetch(`${api}/v1/environments/local/deploys`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("content-type")).toContain("application/problem+json");
    expect(((await denied.json()) as { code: string }).code).toBe("SLW_FORBIDDEN");
    expect((await fetch(`${api}/v1/status`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const openapi = await getJson<{ openapi: string; paths: Record<string, unknown> }>(`${api}/openapi.json`);
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toContain("/v1/environments/{env}/deploys");
  });

  it("down leaves no process behind, and ends open log streams", async () => {
    const follow = slipwayFollow(["logs", "worker", "--dir", dir, "-f", "-n", "1"]);
    await eventually(async () => follow.output().length > 0);
    await downCleanly(dir);
    expect(await follow.exited).toBe(0);
    await expect(fetch(`${edge}/api/version`)).rejects.toThrow();
  });
});
