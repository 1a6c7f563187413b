import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  getJson,
  makeProject,
  processesUnder,
  removeProject,
  slipway,
  slipwayFollow,
  startLoad,
} from "./harness";

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
  const port = 18080;

  beforeAll(async () => {
    dir = makeProject("ship");
    const up = await slipway([
      "up",
      "--detach",
      "--dir",
      dir,
      "--port",
      String(port),
      "--api-port",
      "0",
      "--json",
    ]);
    expect(up.code, up.stderr).toBe(0);
    const out = JSON.parse(up.stdout) as {
      controlPlane: string;
      adminToken: string;
      environment: { url: string };
    };
    edge = out.environment.url;
    api = out.controlPlane;
    token = out.adminToken;
  });

  afterAll(async () => {
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  });

  it("serves v1 through the edge, with the first admin token shown once", async () => {
    expect(edge).toBe(`http://127.0.0.1:${port}`);
    expect(token).toMatch(/^slw_/);
    const v = await getJson<{ release: string; greeting: string }>(`${edge}/api/version`);
    expect(v.release).toBe("v1");
    expect(v.greeting).toContain("v1");
  });

  it("reaches the private service only through the service that calls it", async () => {
    const quote = await getJson<{ rate: number }>(`${edge}/api/quote`);
    expect(typeof quote.rate).toBe("number");
    const direct = await fetch(`${edge}/rate`);
    expect(direct.status).not.toBe(200);
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
    await new Promise((r) => setTimeout(r, 1000));

    // v2: new code (a migration) and new config (GREETING).
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace(/hello from v1/g, "hello from v2"));
    writeFileSync(
      join(dir, "migrations", "099_e2e.sql"),
      "create table if not exists e2e_marker (id int);\n",
    );
    const deploy = await slipway(["deploy", "--dir", dir, "--json"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(JSON.parse(deploy.stdout).release).toBe(2);
    const v2 = await getJson<{ release: string; greeting: string }>(`${edge}/api/version`);
    expect(v2).toMatchObject({ release: "v2", greeting: expect.stringContaining("v2") });

    const rollback = await slipway(["rollback", "--dir", dir, "--json"]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout).release).toBe(3);
    const v3 = await getJson<{ release: string; greeting: string; build: string }>(`${edge}/api/version`);
    // The config rolled back with the release: v3 runs v1's build with v1's GREETING.
    expect(v3.release).toBe("v3");
    expect(v3.greeting).toContain("v1");

    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.sent / report.seconds).toBeGreaterThanOrEqual(50);
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
    const down = await slipway(["down", "--dir", dir]);
    expect(down.code, down.stderr).toBe(0);
    expect(await follow.exited).toBe(0);
    await eventually(async () => processesUnder(dir).length === 0, 20_000).catch(() => undefined);
    expect(processesUnder(dir)).toEqual([]);
    await expect(fetch(`${edge}/api/version`)).rejects.toThrow();
  });
});
