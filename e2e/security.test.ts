import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type RunningControlPlane, startControlPlane } from "@slipway/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, eventually, makeProject, processesUnder, removeProject, slipway } from "./harness";

interface Problem {
  type: string;
  status: number;
  code: string;
  detail: string;
  hint?: string;
  detail_data?: Record<string, unknown>;
}
interface Rollout {
  id: string;
  phase: string;
  error: { code: string; message: string } | null;
}
interface Event {
  seq: number;
  actor: string;
  kind: string;
  subject: string;
  message: string;
  data: Record<string, unknown>;
}

/**
 * The control plane is safe to leave running: given a stack served by a control plane
 * started in this process (so a crash of it fails this test), when callers send bad,
 * unauthorised or hostile requests, then each gets a problem+json with a stable code, is
 * audited without burying the log, and nothing starts or dies because of it.
 */
describe("the control plane API is safe to leave running", () => {
  let dir: string;
  let cp: RunningControlPlane;
  let admin: string;
  let viewer: string;
  let deployer: string;

  const call = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${cp.url}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const json = async <T>(path: string, token: string, init: RequestInit = {}): Promise<T> => {
    const res = await call(path, token, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  /** The response is problem+json with this status and code; returns the problem. */
  const expectProblem = async (res: Response, status: number, code: string): Promise<Problem> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const p = JSON.parse(text) as Problem;
    expect(p).toMatchObject({ status, code, type: `https://slipway.dev/errors/${code}` });
    expect(p.detail.length).toBeGreaterThan(5);
    return p;
  };
  const newToken = async (name: string, role: string, extra: Record<string, unknown> = {}) =>
    (
      await json<{ token: string }>("/v1/tokens", admin, {
        method: "POST",
        body: JSON.stringify({ name, role, ...extra }),
      })
    ).token;
  const rolloutDone = (id: string) =>
    eventually(async () => {
      const { rollout } = await json<{ rollout: Rollout }>(`/v1/rollouts/${id}`, admin);
      return rollout.phase === "succeeded" || rollout.phase === "failed" ? rollout : undefined;
    }, 120_000);
  const deploy = async (token: string) =>
    (
      await json<{ rollout: Rollout }>("/v1/environments/local/deploys", token, {
        method: "POST",
        body: "{}",
      })
    ).rollout;
  const allEvents = async (): Promise<Event[]> => {
    const out: Event[] = [];
    let before: number | undefined;
    for (;;) {
      const q = `limit=1000${before ? `&before=${before}` : ""}`;
      const page = await json<{ events: Event[]; nextBefore?: number }>(`/v1/events?${q}`, admin);
      out.push(...page.events);
      if (!page.nextBefore) return out;
      before = page.nextBefore;
    }
  };

  beforeAll(async () => {
    dir = makeProject("security");
    cp = await startControlPlane({ projectDir: dir, apiPort: 0, publicPort: 0 });
    admin = cp.firstAdminToken!;
    expect((await rolloutDone(cp.initialRollout!)).phase).toBe("succeeded");
    viewer = await newToken("dashboard", "viewer");
    deployer = await newToken("ci", "deployer");
  });

  afterAll(async () => {
    await cp?.down("test");
    removeProject(dir);
  });

  it("refuses every route without a token but the public ones, and audits each refusal without the token", async () => {
    const openapi = await json<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json", "");
    const routes = Object.entries(openapi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "x") })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const presented = "slw_not-a-token-of-ours-0123456789";
    for (const r of routes) {
      const init = { method: r.method, ...(r.method === "GET" ? {} : { body: "{}" }) };
      await expectProblem(await call(r.path, undefined, init), 401, "SLW_UNAUTHENTICATED");
      await expectProblem(await call(r.path, presented, init), 401, "SLW_UNAUTHENTICATED");
    }
    expect((await call("/openapi.json", undefined)).status).toBe(200);
    expect((await call("/healthz", undefined)).status).toBe(200);

    const refused = (await allEvents()).filter((e) => e.kind === "auth.unauthenticated");
    expect(refused.map((e) => e.subject)).toEqual(expect.arrayContaining(["/v1/status", "/v1/tokens"]));
    expect(refused.every((e) => e.data.status === 401)).toBe(true);
    expect(JSON.stringify(await allEvents())).not.toContain(presented);
    expect(readFileSync(join(dir, ".slipway", "control-plane.log"), "utf8")).not.toContain(presented);
  });

  it("answers a viewer's logs of an unknown service with a 404 naming the services, and stays up", async () => {
    const p = await expectProblem(
      await call("/v1/environments/local/logs?service=nope", viewer),
      404,
      "SLW_NOT_FOUND",
    );
    expect(p.detail).toContain('"nope"');
    expect(p.hint).toMatch(/api.*worker/);
    const cli = await slipway(["logs", "nope", "--dir", dir]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("SLW_NOT_FOUND");
    expect(cli.stderr).toContain("api");
    expect((await call("/v1/status", viewer)).status).toBe(200);
    const live = await slipway(["logs", "api", "--dir", dir, "-n", "5"]);
    expect(live.code, live.stderr).toBe(0);
  });

  it("starts nothing for a deploy to an environment the spec does not have, inherited names included", async () => {
    // Some come and go on their own: Postgres backends (one per new connection; their working
    // directory is the data directory) and backup work (a base backup, its check). Nothing else may.
    const pids = () =>
      processesUnder(dir)
        .filter((p) => !/^postgres: |pg_basebackup|pg_verifybackup|pg_receivewal|zstd|\btar\b/.test(p.cmd))
        .map((p) => p.pid)
        .sort();
    const before = pids();
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "nope"]) {
      const p = await expectProblem(
        await call(`/v1/environments/${name}/deploys`, deployer, { method: "POST", body: "{}" }),
        404,
        "SLW_NOT_FOUND",
      );
      expect(p.hint).toContain("local, dev, staging, prod");
      expect(existsSync(join(dir, ".slipway", "envs", name))).toBe(false);
    }
    expect(pids().filter((p) => !before.includes(p))).toEqual([]);
    const status = await json<{ environments: { name: string }[] }>("/v1/status", viewer);
    expect(status.environments.map((e) => e.name)).toEqual(["local"]);

    const other = makeProject("env");
    try {
      const up = await slipway([
        "up",
        "--dir",
        other,
        "--env",
        "constructor",
        "--port",
        "0",
        "--api-port",
        "0",
      ]);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain('no environment "constructor"');
      expect(processesUnder(other)).toEqual([]);
    } finally {
      removeProject(other);
    }
  });

  it("answers unknown routes, wrong methods, big and broken bodies with problem+json", async () => {
    await expectProblem(await call("/v1/nope", admin), 404, "SLW_NOT_FOUND");
    await expectProblem(await call("/nope", undefined), 404, "SLW_NOT_FOUND");
    const wrong = await call("/v1/status", admin, { method: "DELETE" });
    expect(wrong.headers.get("allow")).toContain("GET");
    await expectProblem(wrong, 405, "SLW_METHOD_NOT_ALLOWED");
    const big = JSON.stringify({ name: "x".repeat(2 * 1024 * 1024), role: "viewer" });
    await expectProblem(
      await call("/v1/tokens", admin, { method: "POST", body: big }),
      413,
      "SLW_PAYLOAD_TOO_LARGE",
    );
    await expectProblem(
      await call("/v1/tokens", admin, { method: "POST", body: "{" }),
      400,
      "SLW_BAD_REQUEST",
    );
    await expectProblem(
      await call("/v1/tokens", admin, {
        method: "POST",
        body: "<x/>",
        headers: { "content-type": "application/xml" },
      }),
      415,
      "SLW_UNSUPPORTED_MEDIA_TYPE",
    );
    const field = await expectProblem(
      await call("/v1/tokens", admin, { method: "POST", body: JSON.stringify({ name: "x", role: "root" }) }),
      400,
      "SLW_BAD_REQUEST",
    );
    expect(field.detail).toContain("role");
  });

  it("folds a flood of forbidden calls, so the newest events stay on top", async () => {
    const calls = 10_100;
    let sent = 0;
    const statuses = new Set<number>();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < calls) {
          sent++;
          const res = await call("/v1/tokens", viewer);
          statuses.add(res.status);
          await res.arrayBuffer();
        }
      }),
    );
    expect([...statuses]).toEqual([403]);
    await newToken("after-flood", "viewer");

    const denied = (await allEvents()).filter((e) => e.kind === "auth.denied" && e.actor === "dashboard");
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied.length).toBeLessThanOrEqual(3);

    const newest = await slipway(["events", "--dir", dir, "--limit", "3"]);
    expect(newest.code, newest.stderr).toBe(0);
    expect(newest.stdout.split("\n")[1]).toContain('viewer token "after-flood" created');
    expect(newest.stderr).toMatch(/slipway events --before \d+/);
    const page = JSON.parse(
      (await slipway(["events", "--dir", dir, "--limit", "3", "--json"])).stdout,
    ) as Event[];
    const older = JSON.parse(
      (await slipway(["events", "--dir", dir, "--limit", "3", "--before", String(page[2]!.seq), "--json"]))
        .stdout,
    ) as Event[];
    expect(older.map((e) => e.seq)).toEqual(older.map((e) => e.seq).sort((a, b) => b - a));
    expect(Math.max(...older.map((e) => e.seq))).toBeLessThan(page[2]!.seq);
  });

  it("fails a rollout hit by a non-Slipway error as SLW_INTERNAL, and shows its events behind 10,100 others", async () => {
    await cp.ctx.store.sql.query(
      "insert into events (actor, kind, subject, message) select 'seed', 'test.seed', 'seed', 'seed ' || g from generate_series(1, 10100) g",
    );
    // The lockfile is a directory: reading it fails with Node's EISDIR, not a Slipway code.
    const lock = join(dir, "package-lock.json");
    const saved = readFileSync(lock);
    rmSync(lock);
    mkdirSync(lock);
    writeFileSync(join(lock, "x"), "x");
    try {
      const rollout = await rolloutDone((await deploy(deployer)).id);
      expect(rollout.phase).toBe("failed");
      expect(rollout.error?.code).toBe("SLW_INTERNAL");
      expect(readFileSync(join(dir, ".slipway", "control-plane.log"), "utf8")).toContain("EISDIR");
      const view = await json<{ events: Event[] }>(`/v1/rollouts/${rollout.id}`, viewer);
      expect(view.events.map((e) => e.kind)).toEqual(
        expect.arrayContaining(["deploy.requested", "rollout.failed"]),
      );
    } finally {
      rmSync(lock, { recursive: true });
      writeFileSync(lock, saved);
    }
  });

  it("leaves no release behind when a rollback is refused because a rollout is in flight", async () => {
    expect((await rolloutDone((await deploy(deployer)).id)).phase).toBe("succeeded"); // v2
    const config = join(dir, "slipway.config.ts");
    const pristine = readFileSync(config, "utf8");
    editFile(config, (t) =>
      t.replace(
        'command: ["node", "migrate.mjs"]',
        'command: ["node", "-e", "setTimeout(() => process.exit(3), 8000)"]',
      ),
    );
    try {
      const slow = await deploy(deployer); // its release job holds it in flight for 8 s
      const refused = await call("/v1/environments/local/rollbacks", deployer, {
        method: "POST",
        body: "{}",
      });
      const p = await expectProblem(refused, 409, "SLW_CONFLICT");
      expect(p.detail).toContain("in flight");
      expect((await rolloutDone(slow.id)).phase).toBe("failed");
    } finally {
      writeFileSync(config, pristine);
    }
    const { releases } = await json<{ releases: { description: string; rollbackOf: string | null }[] }>(
      "/v1/environments/local/releases",
      viewer,
    );
    expect(releases.filter((r) => r.rollbackOf !== null)).toEqual([]);
  });

  it("lists, expires and revokes tokens; a dead token gets a 401 that says why", async () => {
    const created = await slipway([
      "tokens",
      "create",
      "--name",
      "robot",
      "--role",
      "deployer",
      "--expires",
      "30d",
      "--dir",
      dir,
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const robot = JSON.parse(created.stdout) as { token: string; row: { id: string; expiresAt: string } };
    const days = (Date.parse(robot.row.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const list = await slipway(["tokens", "list", "--dir", dir]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/ID\s+NAME\s+ROLE\s+STATE/);
    expect(list.stdout).toMatch(/robot\s+deployer\s+active/);
    const listed = (await slipway(["tokens", "list", "--dir", dir, "--json"])).stdout;
    for (const out of [list.stdout, listed]) {
      expect(out).not.toContain(robot.token);
      expect(out).not.toMatch(/slw_[A-Za-z0-9_-]{20}|[0-9a-f]{64}/);
    }
    expect(JSON.parse(listed)[0]).not.toHaveProperty("hash");
    await expectProblem(await call("/v1/tokens", deployer), 403, "SLW_FORBIDDEN");

    expect((await call("/v1/status", robot.token)).status).toBe(200);
    const revoked = await slipway(["tokens", "revoke", "robot", "--dir", dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(robot.row.id);
    const gone = await expectProblem(await call("/v1/status", robot.token), 401, "SLW_UNAUTHENTICATED");
    expect(gone.detail).toContain('"robot"');
    expect(gone.detail).toContain("revoked");

    const brief = await newToken("brief", "viewer", { expiresInSeconds: 1 });
    const expired = await eventually(async () => {
      const res = await call("/v1/status", brief);
      return res.status === 401 ? res : undefined;
    }, 10_000);
    expect((await expectProblem(expired, 401, "SLW_UNAUTHENTICATED")).detail).toContain("expired");

    const last = await slipway(["tokens", "revoke", "admin", "--dir", dir]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain("SLW_CONFLICT");
    expect(last.stderr).toContain("last admin token");
    const bad = await slipway([
      "tokens",
      "create",
      "--name",
      "x",
      "--role",
      "viewer",
      "--expires",
      "30x",
      "--dir",
      dir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--expires");

    const kinds = (await allEvents()).filter((e) => e.subject === robot.row.id).map((e) => e.kind);
    expect(kinds.sort()).toEqual(["token.created", "token.revoked"]);
  });
});

/** The admin token goes only to the control plane that server.json names, while it runs. */
describe("a stale .slipway/server.json", () => {
  let dir: string;
  const seen: IncomingHttpHeaders[] = [];
  const listener = createServer((req, res) => {
    seen.push(req.headers);
    res.end("{}");
  });

  beforeAll(async () => {
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    dir = mkdtempSync("/tmp/slipway-e2e-stale-");
    mkdirSync(join(dir, ".slipway"));
    writeFileSync(join(dir, ".slipway", "credentials.json"), JSON.stringify({ token: "slw_admin-secret" }));
  });
  afterAll(() => {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pointAt = (pid: number, startTime: string) =>
    writeFileSync(
      join(dir, ".slipway", "server.json"),
      JSON.stringify({ url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`, pid, startTime }),
    );

  it("names no running control plane and sends nothing when the recorded process has exited", async () => {
    const exited = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    pointAt(exited, "12345");
    for (const args of [["status"], ["tokens", "list"], ["events"]]) {
      const r = await slipway([...args, "--dir", dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("SLW_SERVER_UNREACHABLE");
      expect(r.stderr).toContain("no control plane is running");
      expect(r.stderr).toContain("slipway up");
    }
    expect(seen).toEqual([]);
  });

  it("sends nothing when the recorded pid now belongs to another process", async () => {
    pointAt(process.pid, "1"); // alive, but not started when the file says
    const r = await slipway(["status", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no control plane is running");
    expect(seen).toEqual([]);
  });
});
