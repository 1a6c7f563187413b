import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  startLoad,
  upDetached,
} from "./harness";
import { filesHoldingPlaintext } from "./secrets-scan";

/**
 * Rotating a postgres add-on's password on the example stack: given the shop serving
 * /api/items from Postgres under steady load, when `slipway secrets rotate DB_PASSWORD` runs,
 * then the role's password really changes (the old one stops logging in once the services
 * moved), the api restarts onto the new one through a `restart` rollout, and not one request
 * fails. A rollback afterwards keeps the new password, and so does the next deploy.
 */
describe("postgres password rotation", () => {
  let dir: string;
  let edge: string;
  let api: string;
  const cli = (...args: string[]) => slipway([...args, "--dir", dir]);
  const adminToken = () => JSON.parse(readFileSync(join(dir, ".slipway", "credentials.json"), "utf8")).token;
  const events = async () =>
    (
      await getJson<{ events: { kind: string; message: string; data: Record<string, unknown> }[] }>(
        `${api}/v1/events?limit=1000`,
        { headers: { authorization: `Bearer ${adminToken()}` } },
      )
    ).events;
  /** The DATABASE_URL each running api process was started with, as the process sees it. */
  const apiDatabaseUrls = () => [
    ...new Set(
      processesUnder(dir)
        .filter((p) => p.cmd.endsWith("api.mjs"))
        .map(
          (p) =>
            readFileSync(`/proc/${p.pid}/environ`, "utf8")
              .split("\0")
              .find((e) => e.startsWith("DATABASE_URL="))
              ?.slice("DATABASE_URL=".length) ?? "",
        ),
    ),
  ];
  const logsIn = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      return (await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n >= 0;
    } catch (e) {
      return (e as Error).message;
    } finally {
      await c.end().catch(() => {});
    }
  };
  const releases = async () =>
    JSON.parse((await cli("releases", "--json")).stdout) as {
      number: number;
      via: string;
      description: string;
    }[];

  beforeAll(async () => {
    dir = makeProject("pg-rotate");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        "  environments: {",
        `  secrets: {
    // Withdrawn as soon as no process runs on the old one (overlap 0).
    DB_PASSWORD: { addon: "db", rotation: { maxAgeDays: 180, overlapHours: 0 } },
  },
  environments: {`,
      ),
    );
    ({ edge, api } = await upDetached(dir));
  }, 300_000);
  afterAll(() => finishProject(dir), 120_000);

  it("changes the role's password under load with zero failed requests, then withdraws the old one", async () => {
    const [before] = apiDatabaseUrls();
    expect(before).toMatch(/^postgres:\/\/app:/);
    expect(await logsIn(before!)).toBe(true);
    await (
      await fetch(`${edge}/api/items`, { method: "POST", body: JSON.stringify({ name: "kept" }) })
    ).text();

    const load = startLoad(`${edge}/api/items`, { concurrency: 4, ratePerLoop: 20, maxSeconds: 240 });
    const rotated = await cli("secrets", "rotate", "DB_PASSWORD");
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("DB_PASSWORD v1 rotated in local");
    // The old login works until nothing runs on it, then the reconciler withdraws it.
    await eventually(async () => (await events()).some((e) => e.kind === "secret.withdrawn"), 180_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const report = await load.stop();

    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.sent).toBeGreaterThan(100);
    const [after, ...others] = apiDatabaseUrls();
    expect(others).toEqual([]);
    expect(after).toMatch(/^postgres:\/\/app_alt:/);
    expect(await logsIn(after!)).toBe(true);
    expect(await logsIn(before!)).toMatch(/password authentication failed for user "app"/);

    const [restart] = await releases();
    expect(restart).toMatchObject({ via: "restart" });
    expect(restart!.description).toContain("DB_PASSWORD v1 published (v0 stays valid for db");
    const kinds = (await events()).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["secret.rotated", "secret.published", "secret.withdrawn"]));

    // The new password is nowhere in plaintext: not in the store, the logs or the data directories.
    const value = decodeURIComponent(new URL(after!).password);
    expect(filesHoldingPlaintext(join(dir, ".slipway"), [value])).toEqual([]);
    for (const path of [
      "/v1/environments/local/secrets",
      "/v1/environments/local/releases",
      "/v1/events?limit=1000",
    ]) {
      const body = await (
        await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${adminToken()}` } })
      ).text();
      expect(body.includes(value), `${path} shows the password`).toBe(false);
    }
  }, 300_000);

  it("a rollback keeps the current password (the old one no longer logs in), and so does the next deploy", async () => {
    const current = apiDatabaseUrls()[0]!;
    // Back to the first release, which ran on the add-on's first password, since withdrawn.
    const rollback = await cli("rollback", "--to", "v1");
    expect(rollback.code, rollback.stderr).toBe(0);
    await eventually(
      async () => (await releases())[0]?.via === "rollback" && apiDatabaseUrls().length === 1,
      120_000,
    );
    expect(apiDatabaseUrls()).toEqual([current]);
    expect((await fetch(`${edge}/api/items`)).status).toBe(200);

    const deploy = await cli("deploy");
    expect(deploy.code, deploy.stderr).toBe(0);
    await eventually(
      async () => (await releases())[0]?.via === "deploy" && apiDatabaseUrls().length === 1,
      120_000,
    );
    expect(apiDatabaseUrls()).toEqual([current]);
    expect((await fetch(`${edge}/api/items`)).status).toBe(200);
    // Newest first: the deploy, the rollback, the rotation's restart, the first deploy.
    expect((await releases()).map((r) => r.via)).toEqual(["deploy", "rollback", "restart", "deploy"]);
  }, 300_000);
});
