import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { BucketAddon, PostgresAddon } from "@slipway/spec";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver } from "../src/addons";
import {
  type BackupRepository,
  postgresBackups,
  type RestoreResult,
  s3LocationFromEnv,
} from "../src/addons/postgres-backup";
import { connectAdmin } from "../src/addons/postgres-provision";
import type { AddonRecord } from "../src/addons/types";
import { freePort } from "../src/system/ports";

// Real PostgreSQL 15 streaming into a repository whose sealed files live in the bucket add-on
// (s3rver): base backup and WAL go to the bucket, a restore reads them back from it.
const root = mkdtempSync("/tmp/slipway-backup-s3-test-");
chmodSync(root, 0o755);
const postgres = addonDriver("postgres");
const buckets = addonDriver("bucket");
const backups = postgresBackups();
const pgSpec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
const bucketSpec: BucketAddon = { type: "bucket", bucket: "backups" };
const restored: AddonRecord[] = [];
let live: AddonRecord;
let bucket: AddonRecord;
let repo: BackupRepository;
let s3: S3Client;
let app: pg.Client;

beforeAll(async () => {
  bucket = {
    env: "test",
    name: "files",
    kind: "bucket",
    port: await freePort(),
    password: "b-pw",
    dataDir: join(root, "bucket"),
  };
  await buckets.ensure(bucketSpec, bucket);
  const env = buckets.connectionEnv(bucketSpec, bucket);
  repo = { dir: join(root, "repo"), key: randomBytes(32), s3: s3LocationFromEnv(env, "backups/test/db") };
  s3 = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
  live = {
    env: "test",
    name: "db",
    kind: "postgres",
    port: await freePort(),
    password: "pg-pw",
    dataDir: join(root, "live"),
  };
  await postgres.ensure(pgSpec, live);
  app = await connect(live);
  await app.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
  await backups.protect(live, repo);
});

afterAll(async () => {
  s3?.destroy();
  await app?.end().catch(() => {});
  await backups.stopStreaming(repo).catch(() => {});
  for (const r of [...restored, live]) if (r) await postgres.stop(r).catch(() => {});
  if (bucket) await buckets.stop(bucket).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

async function connect(record: AddonRecord): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgres.connectionEnv(pgSpec, record).DATABASE_URL });
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function insert(from: number, to: number, note: string): Promise<void> {
  for (let id = from; id <= to; id++) await app.query("INSERT INTO items VALUES ($1, $2)", [id, note]);
}

async function idsIn(result: RestoreResult): Promise<number[]> {
  const client = await connect(result.record);
  try {
    const { rows } = await client.query<{ id: number }>("SELECT id FROM items ORDER BY id");
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

async function objectsInBucket(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: "backups", Prefix: "backups/test/db/" }));
  return (listed.Contents ?? []).map((o) => o.Key!.slice("backups/test/db/".length)).sort();
}

/** The receiver renames a segment once the server has switched past it: a moment after the flush. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (await check()) return;
  throw new Error("timed out");
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("postgres backups in an S3 bucket", () => {
  it("keeps base backups, sealed WAL and metadata in the bucket, and restores from it to a time", async () => {
    await insert(1, 40, "s3-secret-before-backup");
    const base = await backups.createBackup(live, repo);
    expect(base.verified).toBe(true);
    await insert(41, 80, "s3-secret-after-backup");
    await sleep(100);
    const between = Date.now();
    await sleep(100);
    await insert(81, 120, "s3-secret-late");
    await backups.waitForArchived(live);
    expect(await backups.sealWal(live, repo)).toBeGreaterThan(0);

    // The sealed files are objects in the bucket, not files beside the working directories.
    const objects = await objectsInBucket();
    expect(objects).toContain("repository.json");
    expect(objects).toContain(`base/${base.id}/meta.json`);
    expect(objects).toContain(`base/${base.id}/base.tar.zst.enc`);
    expect(objects.filter((o) => /^wal\/[0-9A-F]{24}\.zst\.enc$/.test(o)).length).toBeGreaterThan(0);
    expect(existsSync(join(repo.dir, "base"))).toBe(false);
    expect(existsSync(join(repo.dir, "wal"))).toBe(false);
    expect(readdirSync(join(repo.dir, "staging"))).toEqual([]);
    // Only ciphertext leaves the machine.
    for (const key of objects.filter((o) => o.endsWith(".enc"))) {
      const got = await s3.send(new GetObjectCommand({ Bucket: "backups", Key: `backups/test/db/${key}` }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.subarray(0, 8).toString()).toBe("SLWBAK1\n");
      expect(bytes.includes("s3-secret")).toBe(false);
    }

    const listing = await backups.list(live, repo);
    expect(listing.backups.map((b) => b.id)).toEqual([base.id]);
    expect(listing.window!.latest).toBeGreaterThan(between);

    const result = await backups.restore(live, repo, {
      target: { kind: "time", at: between },
      dataDir: join(root, "restored"),
      port: await freePort(),
    });
    restored.push(result.record);
    expect(result.baseBackup).toBe(base.id);
    expect(await idsIn(result)).toEqual(range(1, 80));
  });

  it("retention removes expired backups and WAL from the bucket", async () => {
    const older = (await backups.list(live, repo)).backups[0]!;
    await insert(200, 210, "more");
    const newer = await backups.createBackup(live, repo);
    await backups.waitForArchived(live);
    await backups.sealWal(live, repo);
    const walBefore = (await objectsInBucket()).filter((o) => o.startsWith("wal/")).length;

    const now = newer.endedAt + 1_000;
    const expired = await backups.expire(live, repo, 500, now);
    expect(expired.removedBackups).toEqual([older.id]);
    const objects = await objectsInBucket();
    expect(objects.some((o) => o.startsWith(`base/${older.id}/`))).toBe(false);
    expect(objects).toContain(`base/${newer.id}/base.tar.zst.enc`);
    expect(objects.filter((o) => o.startsWith("wal/")).length).toBe(walBefore - expired.removedWalSegments);
  });

  it("detects a base backup changed in the bucket by verification, naming the object", async () => {
    const target = (await backups.list(live, repo)).backups.at(-1)!;
    const Key = `backups/test/db/base/${target.id}/base.tar.zst.enc`;
    const got = await s3.send(new GetObjectCommand({ Bucket: "backups", Key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await s3.send(new PutObjectCommand({ Bucket: "backups", Key, Body: bytes }));

    const error = await backups.verify(live, repo, target.id).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe("SLW_BACKUP_CORRUPT");
    expect(error?.message).toContain(`s3://backups/${Key} failed verification`);
    const listed = (await backups.list(live, repo)).backups.find((b) => b.id === target.id)!;
    expect(listed.verified).toBe(false);
  });

  it("with the bucket down, sealing fails naming it and keeps the WAL locally until it is back", async () => {
    await insert(300, 310, "while the bucket is down");
    const admin = await connectAdmin(live);
    await admin.query("SELECT pg_switch_wal()"); // completes the segment, as a full one would be
    await admin.end();
    await backups.waitForArchived(live);
    const incoming = () => readdirSync(join(repo.dir, "incoming")).filter((f) => /^[0-9A-F]{24}$/.test(f));
    await waitUntil(async () => incoming().length > 0);
    const pending = incoming();

    await buckets.stop(bucket);
    const error = await backups.sealWal(live, repo).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe("SLW_BACKUP_FAILED");
    expect(error?.message).toMatch(/s3:\/\/backups\/backups\/test\/db\/.* failed: .*ECONNREFUSED/);
    expect(incoming()).toEqual(expect.arrayContaining(pending));
    expect(readdirSync(join(repo.dir, "staging"))).toEqual([]);

    await buckets.ensure(bucketSpec, bucket);
    expect(await backups.sealWal(live, repo)).toBeGreaterThanOrEqual(pending.length);
    expect(incoming().filter((f) => pending.includes(f))).toEqual([]);
    const objects = await objectsInBucket();
    for (const segment of pending) expect(objects).toContain(`wal/${segment}.zst.enc`);
  });
});
