import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RedisAddon } from "@slipway/spec";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver } from "../src/addons";
import type { BackupRepository } from "../src/addons/postgres-backup";
import { redisSnapshots } from "../src/addons/redis-snapshot";
import type { AddonRecord } from "../src/addons/types";
import { freePort } from "../src/system/ports";

// Real redis-server: RDB snapshots into an encrypted repository, restored into new instances.
const root = mkdtempSync("/tmp/slipway-redis-snapshot-test-");
chmodSync(root, 0o755);
const driver = addonDriver("redis");
const snapshots = redisSnapshots();
const spec: RedisAddon = {
  type: "redis",
  maxmemory: "64mb",
  evictionPolicy: "noeviction",
  persistence: false,
  backup: { snapshots: "hourly" },
};
const repo: BackupRepository = { dir: join(root, "repo"), key: randomBytes(32) };
const records: AddonRecord[] = [];
let live: AddonRecord;

beforeAll(async () => {
  live = {
    env: "test",
    name: "cache",
    kind: "redis",
    port: await freePort(),
    password: `r'p "w" $(id)`,
    dataDir: join(root, "live"),
  };
  records.push(live);
  await driver.ensure(spec, live);
});

afterAll(async () => {
  for (const r of records) await driver.stop(r).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

function client(record: AddonRecord): Redis {
  return new Redis({ host: "127.0.0.1", port: record.port, password: record.password, lazyConnect: true });
}

async function keysOf(record: AddonRecord): Promise<Record<string, string>> {
  const c = client(record);
  try {
    const keys = (await c.keys("*")).sort();
    const values = keys.length ? await c.mget(...keys) : [];
    return Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
  } finally {
    c.disconnect();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

describe("redis snapshots", () => {
  it("keeps nothing on disk by default", async () => {
    const c = client(live);
    await c.set("warm", "cache");
    expect(await c.config("GET", "save")).toEqual(["save", ""]);
    expect(await c.config("GET", "appendonly")).toEqual(["appendonly", "no"]);
    c.disconnect();
    expect(filesUnder(live.dataDir).filter((f) => /\.rdb$|appendonly/.test(f))).toEqual([]);
  });

  it("takes an encrypted snapshot and restores exactly its keys into a new instance", async () => {
    const c = client(live);
    await c.flushall();
    for (let i = 0; i < 200; i++) await c.set(`k${i}`, `redis-secret-${i}`);
    const expected = await keysOf(live);
    const snap = await snapshots.snapshot(live, repo);
    expect(snap.bytes).toBeGreaterThan(0);
    await c.set("after-snapshot", "x");
    await c.del("k0");
    c.disconnect();

    // Sealed at rest: nothing of the values is readable without the key, and the live data
    // directory got no dump of its own.
    const stored = filesUnder(repo.dir).filter((f) => f.startsWith("redis/"));
    expect(stored.sort()).toEqual([`redis/cache/${snap.id}.json`, `redis/cache/${snap.id}.rdb.zst.enc`]);
    expect(readFileSync(join(repo.dir, `redis/cache/${snap.id}.rdb.zst.enc`)).includes("redis-secret")).toBe(
      false,
    );
    expect(filesUnder(live.dataDir).filter((f) => f.endsWith(".rdb"))).toEqual([]);
    expect((await snapshots.list(live, repo)).map((s) => s.id)).toEqual([snap.id]);

    const restored = await snapshots.restore(spec, live, repo, {
      dataDir: join(root, "restored"),
      port: await freePort(),
    });
    records.push(restored.record);
    expect(restored.snapshot).toBe(snap.id);
    expect(restored.keys).toBe(200);
    expect(await keysOf(restored.record)).toEqual(expected);
    // The decrypted RDB was only there to be loaded.
    expect(existsSync(join(restored.record.dataDir, "dump.rdb"))).toBe(false);
    // The live instance kept its own later writes.
    const now = await keysOf(live);
    expect(now["after-snapshot"]).toBe("x");
    expect(now.k0).toBeUndefined();
  });

  it("restores with persistence when the spec asks for it", async () => {
    const restored = await snapshots.restore({ ...spec, persistence: true }, live, repo, {
      dataDir: join(root, "restored-aof"),
      port: await freePort(),
    });
    records.push(restored.record);
    const c = client(restored.record);
    expect(await c.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    c.disconnect();
    expect(restored.keys).toBe(200);
  });

  it("refuses a wrong key, an overlapping directory or a busy port, writing nothing", async () => {
    const wrong = { ...repo, key: randomBytes(32) };
    const dataDir = join(root, "refused");
    await expect(
      snapshots.restore(spec, live, wrong, { dataDir, port: await freePort() }),
    ).rejects.toMatchObject({
      code: "SLW_BACKUP_KEY",
    });
    await expect(snapshots.snapshot(live, wrong)).rejects.toMatchObject({ code: "SLW_BACKUP_KEY" });
    await expect(
      snapshots.restore(spec, live, repo, { dataDir: join(live.dataDir, "x"), port: await freePort() }),
    ).rejects.toMatchObject({ code: "SLW_BAD_REQUEST", message: expect.stringMatching(/overlaps the live/) });
    await expect(snapshots.restore(spec, live, repo, { dataDir, port: live.port })).rejects.toMatchObject({
      code: "SLW_PORT_IN_USE",
    });
    expect(existsSync(dataDir)).toBe(false);
    expect((await snapshots.list(live, repo)).length).toBe(1);
  });
});
