import { existsSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, eventually, finishProject, makeProject, slipway, upDetached } from "./harness";

/**
 * The example stack keeping its backups in its own bucket add-on (s3rver, as the local driver
 * runs it): `environments.local.backup.repository: { bucket: "files" }`, and its redis add-on
 * asking for snapshots. Base backups, WAL and snapshots go to the bucket encrypted; restores
 * read them back from it; retention removes only what is outside the window.
 */
describe("slipway backup into the stack's bucket add-on", () => {
  let dir: string;
  let dbUrl: URL;
  let cacheUrl: URL;
  let live: pg.Client;
  let s3: S3Client;
  let bucket: string;
  // A window of about 17 s, so retention can be seen acting within the test.
  const RETENTION_DAYS = 0.0002;

  const cli = (args: string[]) => {
    const end = args.includes("--") ? args.indexOf("--") : args.length;
    return slipway([...args.slice(0, end), "--dir", dir, ...args.slice(end)]);
  };
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const ids = async (url: URL) => {
    const c = new pg.Client({ connectionString: url.href });
    await c.connect();
    try {
      return (await c.query<{ id: number }>("select id from s3_probe order by id")).rows.map((r) => r.id);
    } finally {
      await c.end();
    }
  };
  const atPort = (url: URL, port: number) => Object.assign(new URL(url.href), { port: String(port) });
  const objects = async (prefix: string) => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  const dbRepo = "slipway-backups/local/db/";

  beforeAll(async () => {
    dir = makeProject("backup-s3");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t
        .replace(
          "local: {},",
          `local: { backup: { retentionDays: ${RETENTION_DAYS}, repository: { bucket: "files" } } },`,
        )
        .replace(
          'cache: { type: "redis", evictionPolicy: "noeviction" },',
          'cache: { type: "redis", evictionPolicy: "noeviction", backup: { snapshots: "hourly" } },',
        ),
    );
    process.env.SLIPWAY_BACKUP_TICK_SECONDS = "1";
    await upDetached(dir);
    const r = await cli(["run", "api", "--", "node", "-e", "console.log(JSON.stringify(process.env))"]);
    expect(r.code, r.stderr).toBe(0);
    const env = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string>;
    dbUrl = new URL(env.DATABASE_URL!);
    cacheUrl = new URL(env.REDIS_URL!);
    bucket = env.S3_BUCKET!;
    s3 = new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: env.AWS_REGION ?? "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    live = new pg.Client({ connectionString: dbUrl.href });
    await live.connect();
    await live.query("create table s3_probe (id int primary key, note text)");
  }, 240_000);

  afterAll(async () => {
    s3?.destroy();
    await live?.end();
    await finishProject(dir);
  }, 120_000);

  it("streams WAL and keeps a verified base backup in the bucket, encrypted; nothing sealed stays local", async () => {
    const db = await eventually(async () => {
      const l = await json<{ addons: Listing[] }>(["backup", "list"]);
      const a = l.addons.find((x) => x.addon === "db");
      return a?.streaming && a.window && a.backups.some((b) => b.verified) ? a : undefined;
    }, 120_000);
    const keys = await objects(dbRepo);
    expect(keys).toContain(`${dbRepo}repository.json`);
    expect(keys).toContain(`${dbRepo}base/${db.backups[0]!.id}/base.tar.zst.enc`);
    for (const key of keys.filter((k) => k.endsWith(".enc")).slice(0, 5)) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.subarray(0, 8).toString()).toBe("SLWBAK1\n");
    }
    const local = join(dir, ".slipway/envs/local/backups/db");
    expect(existsSync(join(local, "base"))).toBe(false);
    expect(existsSync(join(local, "wal"))).toBe(false);
  }, 180_000);

  it("restores from the bucket to a time between two batches of writes: exactly the rows before it", async () => {
    await live.query("insert into s3_probe select g, 'in-bucket-secret' from generate_series(1, 3) g");
    const { rows } = await live.query<{ t: Date }>("select clock_timestamp() as t");
    const between = rows[0]!.t;
    await new Promise((r) => setTimeout(r, 1_500));
    await live.query("insert into s3_probe select g, 'later' from generate_series(4, 6) g");

    const restored = await json<Restore>(["backup", "restore", "--to", between.toISOString()]);
    expect(await ids(atPort(dbUrl, restored.instance.port))).toEqual([1, 2, 3]);
    expect(await ids(dbUrl)).toEqual([1, 2, 3, 4, 5, 6]);
    // The WAL that carried the rows went to the bucket sealed: no plaintext of them there.
    for (const key of (await objects(`${dbRepo}wal/`)).slice(-3)) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).includes("in-bucket-secret")).toBe(false);
    }
  }, 180_000);

  it("retention removes the backup and WAL outside the window from the bucket, and nothing the window needs", async () => {
    const before = await json<{ addons: Listing[] }>(["backup", "list"]);
    const old = before.addons.find((a) => a.addon === "db")!.backups.map((b) => b.id);
    const created = await json<{ backup: { id: string } }>(["backup", "create", "--addon", "db"]);
    await live.query("insert into s3_probe select g, 'after the second backup' from generate_series(7, 9) g");
    // Once the new backup is older than the window, the reconciler expires what only the old one needed.
    const after = await eventually(async () => {
      const keys = await objects(dbRepo);
      return old.every((id) => !keys.some((k) => k.startsWith(`${dbRepo}base/${id}/`))) ? keys : undefined;
    }, 90_000);
    expect(after).toContain(`${dbRepo}base/${created.backup.id}/base.tar.zst.enc`);
    const events = await json<{ kind: string; message: string }[]>(["events", "--limit", "100"]);
    expect(events.find((e) => e.kind === "backup.expired")?.message).toMatch(/removed \d+ base backups/);
    // What is left restores the latest state, every row.
    const restored = await json<Restore>(["backup", "restore", "--latest"]);
    expect(await ids(atPort(dbUrl, restored.instance.port))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }, 180_000);

  it("snapshots redis into the bucket and restores exactly the snapshot's keys into a new instance", async () => {
    const redis = new Redis(cacheUrl.href, { lazyConnect: true });
    try {
      for (let i = 0; i < 50; i++) await redis.set(`s3:k${i}`, `v${i}`);
      const taken = await json<{ snapshot: { id: string } }>(["backup", "create", "--addon", "cache"]);
      await redis.set("s3:after", "x");
      await redis.del("s3:k0");

      const listed = await json<{ redis: { addon: string; snapshots: { id: string }[] }[] }>([
        "backup",
        "list",
      ]);
      expect(listed.redis.find((r) => r.addon === "cache")!.snapshots.map((s) => s.id)).toContain(
        taken.snapshot.id,
      );
      const keys = await objects("slipway-backups/local/cache/redis/cache/");
      expect(keys).toContain(`slipway-backups/local/cache/redis/cache/${taken.snapshot.id}.rdb.zst.enc`);
      const text = await cli(["backup", "list"]);
      expect(text.stdout).toMatch(/local\/cache: redis, an RDB snapshot hourly/);

      const restored = await json<{ snapshot: string; keys: number; instance: { port: number } }>([
        "backup",
        "restore",
        "--addon",
        "cache",
        "--latest",
      ]);
      expect(restored.snapshot).toBe(taken.snapshot.id);
      const copy = new Redis(atPort(cacheUrl, restored.instance.port).href, { lazyConnect: true });
      try {
        const got = (await copy.keys("s3:*")).sort();
        expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `s3:k${i}`).sort());
        expect(await copy.get("s3:k7")).toBe("v7");
      } finally {
        copy.disconnect();
      }
      // The live cache kept its own later writes.
      expect(await redis.get("s3:after")).toBe("x");
      expect(await redis.exists("s3:k0")).toBe(0);
      const refused = await cli(["backup", "restore", "--addon", "cache", "--latest", "--switch", "--yes"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("for postgres add-ons");
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});

interface Listing {
  addon: string;
  streaming: boolean;
  window: { earliest: string; latest: string } | null;
  backups: { id: string; verified: boolean }[];
}

interface Restore {
  instance: { port: number; dataDir: string };
  restoredTo: { lastCommitAt: string | null };
}
