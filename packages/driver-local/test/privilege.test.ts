import { spawnSync } from "node:child_process";
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PostgresAddon, RedisAddon } from "@slipway/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver } from "../src/addons";
import type { AddonRecord } from "../src/addons/types";
import { requirePostgresBinDir } from "../src/system/binaries";
import { freePort } from "../src/system/ports";
import { addonUser, appUser, type RunAs } from "../src/system/service-user";

/**
 * Running as root (as many do on a VM), Slipway must not let the users it runs things as turn
 * that into root's power: links planted by the add-on user are never followed by root, and the
 * services' user cannot become the Postgres superuser. These tests need root.
 */
const root = mkdtempSync("/tmp/slipway-priv-");
chmodSync(root, 0o755);
const stops: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

function mustBeRoot(): { addon: RunAs; app: RunAs } {
  const addon = addonUser();
  const app = appUser();
  if (!addon || !app) throw new Error("these tests run as root (they check what root must not do)");
  return { addon, app };
}

async function newRecord(kind: AddonRecord["kind"], name: string): Promise<AddonRecord> {
  const record: AddonRecord = {
    env: "priv",
    name,
    kind,
    port: await freePort(),
    password: `pw-${name}-secret`,
    dataDir: join(root, `${name}-data`),
  };
  stops.push(() => addonDriver(kind).stop(record));
  return record;
}

/** Runs argv as `user`, the way an attacker holding that account would. */
function as(user: RunAs, argv: string[], env: Record<string, string> = {}) {
  return spawnSync(argv[0]!, argv.slice(1), {
    uid: user.uid,
    gid: user.gid,
    cwd: "/",
    env: { PATH: "/usr/bin:/bin", ...env },
    encoding: "utf8",
  });
}

/** A root-only file the attacker would like root to overwrite, chown or leak. */
function victim(name: string): { path: string; unchanged: () => void } {
  const path = join(root, name);
  writeFileSync(path, "root's own\n", { mode: 0o600 });
  return {
    path,
    unchanged() {
      const st = statSync(path);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]);
      expect(readFileSync(path, "utf8")).toBe("root's own\n");
    },
  };
}

describe("links planted by the add-on user in its data directory", () => {
  it("postgres: a symlink at slipway.conf is replaced, never followed, and the server starts", async () => {
    const { addon } = mustBeRoot();
    const driver = addonDriver("postgres");
    const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
    const record = await newRecord("postgres", "pg");
    await driver.ensure(spec, record);
    await driver.stop(record);

    const target = victim("victim-pg");
    const planted = as(addon, ["ln", "-sf", target.path, join(record.dataDir, "slipway.conf")]);
    expect(planted.status, planted.stderr).toBe(0);

    await driver.ensure(spec, record);
    target.unchanged();
    const conf = lstatSync(join(record.dataDir, "slipway.conf"));
    expect(conf.isFile()).toBe(true);
    expect([conf.uid, conf.mode & 0o777]).toEqual([addon.uid, 0o600]);
  });

  it("redis: a symlink at its startup log is not appended through, nor read into an error", async () => {
    const { addon } = mustBeRoot();
    const driver = addonDriver("redis");
    const spec: RedisAddon = {
      type: "redis",
      maxmemory: "64mb",
      evictionPolicy: "noeviction",
      persistence: false,
    } as RedisAddon;
    const record = await newRecord("redis", "cache");
    await driver.ensure(spec, record);
    await driver.stop(record);

    const startupLog = victim("victim-startup");
    const logFile = victim("victim-log");
    for (const [name, target] of [
      ["redis-startup.log", startupLog],
      ["redis.log", logFile],
    ] as const) {
      const r = as(addon, ["ln", "-sf", target.path, join(record.dataDir, name)]);
      expect(r.status, r.stderr).toBe(0);
    }
    // A config redis refuses, so the driver reports the failure with the tail of its logs.
    const broken = { ...spec, maxmemory: "not-a-size" } as RedisAddon;
    const error = await driver.ensure(broken, record).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/did not start/);
    expect(error?.message).not.toContain("root's own");
    startupLog.unchanged();
    logFile.unchanged();
  });
});

describe("the services' user and Postgres", () => {
  const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
  let record: AddonRecord;
  let psql: string;

  beforeAll(async () => {
    mustBeRoot();
    psql = join(requirePostgresBinDir(15), "psql");
    record = await newRecord("postgres", "appdb");
    await addonDriver("postgres").ensure(spec, record);
  });

  it("is not the add-on user", () => {
    const { addon, app } = mustBeRoot();
    expect(app.uid).not.toBe(addon.uid);
    expect(app.gid).not.toBe(addon.gid);
    expect(app.uid).not.toBe(0);
  });

  it("cannot log in as the superuser, over the unix socket or TCP", () => {
    const { app } = mustBeRoot();
    const query = ["-tAc", "select 1"];
    const socket = as(app, [
      psql,
      "-w",
      "-h",
      record.dataDir,
      "-p",
      String(record.port),
      "-U",
      "postgres",
      ...query,
    ]);
    expect(socket.status).not.toBe(0);
    expect(socket.stderr).toMatch(/Permission denied|authentication failed|no password/i);
    const tcp = as(app, [
      psql,
      "-w",
      "-h",
      "127.0.0.1",
      "-p",
      String(record.port),
      "-U",
      "postgres",
      ...query,
    ]);
    expect(tcp.status).not.toBe(0);
    expect(tcp.stderr).toMatch(/password/i);
  });

  it("logs in as the app role with the URL services get, and that role is not a superuser", () => {
    const { app } = mustBeRoot();
    const url = addonDriver("postgres").connectionEnv(spec, record).DATABASE_URL!;
    const r = as(app, [
      psql,
      "-w",
      url,
      "-tAc",
      "select current_user || ' ' || rolsuper from pg_roles where rolname = current_user",
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("app false");
  });
});
