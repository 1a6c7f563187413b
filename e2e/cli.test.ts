import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../packages/driver-local/src/system/ports";
import { editFile, makeProject, removeProject, slipway } from "./harness";

interface RouteView {
  path: string;
  host: string | null;
  service: string;
  url: string;
  curl: string;
}

/** GET through the edge with a Host header (fetch may not set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (b) => (body += b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * The day-to-day commands around a running stack, through the `slipway` command a user runs:
 * one-off processes (`run`), a database shell (`psql`), a failed deploy's logs
 * (`logs --release`) and host routes in `status`. Given the example stack with a host route
 * to the private rates service, brought up on free ports.
 */
describe("slipway run, psql, logs --release and host routes", () => {
  let dir: string;
  let port: number;

  beforeAll(async () => {
    dir = makeProject("cli");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        `{ path: "/", service: "web" },`,
        `{ path: "/", service: "web" },\n    { path: "/", host: "rates.example.test", service: "rates" },`,
      ),
    );
    port = await freePort();
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", String(port), "--api-port", "0"]);
    expect(up.code, up.stderr).toBe(0);
    // What `up` prints: both `/` routes, told apart by host, and a way to reach the host route.
    expect(up.stdout).toContain(`http://rates.example.test:${port}/`);
    expect(up.stdout).toContain(`curl -H 'Host: rates.example.test' http://127.0.0.1:${port}/`);
  });

  afterAll(async () => {
    const down = await slipway(["down", "--dir", dir]);
    removeProject(dir);
    expect(down.code, down.stderr).toBe(0);
  });

  it("status shows each route's host and a URL that reaches that route's service", async () => {
    const s = await slipway(["status", "--dir", dir, "--json"]);
    expect(s.code, s.stderr).toBe(0);
    const routes = (JSON.parse(s.stdout) as { environments: { routes: RouteView[] }[] }).environments[0]!
      .routes;
    const rates = routes.find((r) => r.service === "rates")!;
    const web = routes.find((r) => r.service === "web")!;
    expect(rates).toMatchObject({ path: "/", host: "rates.example.test" });
    expect(rates.url).toBe(`http://rates.example.test:${port}/`);
    expect(web).toMatchObject({ path: "/", host: null, url: `http://127.0.0.1:${port}/` });

    // The curl line's Host and URL reach rates; the same URL without that Host reaches web.
    const [, host, url] = /-H 'Host: ([^']+)' (\S+)$/.exec(rates.curl)!;
    const viaHost = await getWithHost(`${url}rate`, host!);
    expect(viaHost.status).toBe(200);
    expect(JSON.parse(viaHost.body)).toMatchObject({ rate: 1.1 });
    expect((await fetch(`${web.url}rate`)).status).toBe(404);

    const text = await slipway(["status", "--dir", dir]);
    expect(text.stdout).toMatch(/\/\s+rates\.example\.test\s+rates/);
    expect(text.stdout).toMatch(/\/\s+\(any\)\s+web/);
  });

  it("run starts a one-off process with the service's env in its build, and exits with its code", async () => {
    const script = [
      "const u = new URL(process.env.DATABASE_URL);",
      "console.log(JSON.stringify({ db: u.protocol + u.pathname, password: u.password, greeting: process.env.GREETING,",
      "  release: process.env.SLIPWAY_RELEASE, cwd: process.cwd(), uid: process.getuid() }));",
      "process.exit(7);",
    ].join(" ");
    const r = await slipway(["run", "api", "--dir", dir, "--", "node", "-e", script]);
    expect(r.code, r.stderr).toBe(7);
    const seen = JSON.parse(r.stdout) as {
      db: string;
      password: string;
      greeting: string;
      release: string;
      cwd: string;
      uid: number;
    };
    expect(seen).toMatchObject({ db: "postgres:/shop", greeting: "hello from v1", release: "v1" });
    expect(seen.cwd).toContain(join(dir, ".slipway", "builds"));
    // Run as root, the one-off runs as the unprivileged user the services run as.
    if (process.getuid?.() === 0) expect(seen.uid).not.toBe(0);

    // Audited: who ran what, never the environment's values.
    const events = await slipway(["events", "--dir", dir, "--json"]);
    const run = (JSON.parse(events.stdout) as { kind: string; message: string }[]).find(
      (e) => e.kind === "service.run",
    );
    expect(run?.message).toContain("api");
    expect(seen.password.length).toBeGreaterThan(8);
    expect(events.stdout).not.toContain(seen.password);
  });

  it("run refuses an unknown service, environment or release, naming what exists", async () => {
    const service = await slipway(["run", "nope", "--dir", dir, "--", "true"]);
    expect(service.code).toBe(1);
    expect(service.stderr).toContain('no service "nope"');
    expect(service.stderr).toMatch(/services: .*api.*worker/);
    const env = await slipway(["run", "api", "--env", "nope", "--dir", dir, "--", "true"]);
    expect(env.stderr).toContain('no environment "nope"');
    const release = await slipway(["run", "api", "--release", "v9", "--dir", dir, "--", "true"]);
    expect(release.stderr).toContain("no release v9");
    const missing = await slipway(["run", "api", "--dir", dir, "--", "no-such-program-here"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot run "no-such-program-here": not found');
  });

  it("psql connects to a postgres add-on as the app's role, the password never on argv", async () => {
    const r = await slipway(["psql", "db", "--dir", dir, "--", "-tAc", "select 1, current_user"]);
    expect(r.code, r.stderr).toBe(0);
    const [one, user] = r.stdout.trim().split("|");
    expect(one).toBe("1");
    expect(user).not.toBe("postgres");

    // psql's own command line (read from inside it) holds no password; its environment does.
    const password = JSON.parse(
      (
        await slipway([
          "run",
          "api",
          "--dir",
          dir,
          "--",
          "node",
          "-p",
          "JSON.stringify(new URL(process.env.DATABASE_URL).password)",
        ])
      ).stdout,
    ) as string;
    const inside = await slipway([
      "psql",
      "db",
      "--dir",
      dir,
      "--",
      "-c",
      "\\! tr '\\0' ' ' < /proc/$PPID/cmdline; echo; printenv PGPASSWORD",
    ]);
    expect(inside.code, inside.stderr).toBe(0);
    const [cmdline, env] = inside.stdout.trim().split("\n");
    expect(cmdline).toContain("psql");
    expect(cmdline).not.toContain(password);
    expect(env).toBe(password);

    const redis = await slipway(["psql", "cache", "--dir", dir]);
    expect(redis.code).toBe(2);
    expect(redis.stderr).toContain('add-on "cache" is redis');
    expect(redis.stderr).toContain("db");
    const unknown = await slipway(["psql", "nope", "--dir", dir]);
    expect(unknown.stderr).toContain('no add-on "nope"');

    const noPsql = await slipway(["psql", "db", "--dir", dir], {
      env: { ...process.env, PATH: "/nonexistent" },
    });
    expect(noPsql.stderr).toContain("SLW_BINARY_MISSING");
    expect(noPsql.stderr).toContain("apt-get install -y postgresql-client");
  });

  it("after a failed deploy, the hint names `logs --release`, which shows that release's output", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        `command: ["node", "web.mjs"],`,
        `command: ["node", "-e", "console.log('web v2 cannot start: no config'); setInterval(() => {}, 1000)"],\n      health: { timeoutSeconds: 3 },`,
      ),
    );
    const deploy = await slipway(["deploy", "--dir", dir]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain("SLW_UNHEALTHY");
    expect(deploy.stderr).toContain("--release v2");

    const failed = await slipway(["logs", "web", "--release", "v2", "--dir", dir]);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toContain("web v2 cannot start: no config");
    const live = await slipway(["logs", "web", "--dir", dir]);
    expect(live.stdout).not.toContain("web v2 cannot start");
  });
});
