import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { PostgresAddon } from "@slipway/spec";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver, postmasterPid } from "../src/addons";
import { type BackupRepository, postgresBackups, type RestoreResult } from "../src/addons/postgres-backup";
import { segmentOf } from "../src/addons/postgres-backup/wal-names";
import type { AddonRecord } from "../src/addons/types";
import { readStat } from "../src/process/proc";
import { freePort } from "../src/system/ports";

// Real PostgreSQL 15: a live add-on cluster, pg_receivewal streaming into a repository, base
// backups, and restores into new clusters. The add-on user must reach the directories: /tmp, 755.
const root = mkdtempSync("/tmp/slipway-backup-test-");
chmodSync(root, 0o755);
const driver = addonDriver("postgres");
const backups = postgresBackups();
const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
const repo: BackupRepository = { dir: join(root, "repo"), key: randomBytes(32) };
const restored: AddonRecord[] = [];
let live: AddonRecord;
let app: pg.Client;

beforeAll(async () => {
  live = {
    env: "test",
    name: "db",
    kind: "postgres",
    port: await freePort(),
    password: `p'w "x" $(id)`,
    dataDir: join(root, "live data"),
  };
  await driver.ensure(spec, live);
  app = await connect(live);
  await app.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
  await backups.protect(live, repo);
});

afterAll(async () => {
  await app?.end().catch(() => {});
  await backups.stopStreaming(repo).catch(() => {});
  for (const r of [...restored, live]) if (r) await driver.stop(r).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

async function connect(record: AddonRecord): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: driver.connectionEnv(spec, record).DATABASE_URL });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** One transaction per row, the way an app commits. */
async function insert(client: pg.Client, from: number, to: number, note = "row"): Promise<void> {
  for (let id = from; id <= to; id++) await client.query("INSERT INTO items VALUES ($1, $2)", [id, note]);
}

async function restoreInto(label: string, target: Parameters<typeof backups.restore>[2]["target"]) {
  const result = await backups.restore(live, repo, {
    target,
    dataDir: join(root, `restored ${label}`),
    port: await freePort(),
  });
  restored.push(result.record);
  return result;
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

/** The crash test's writer counts up from here, clear of every other test's rows. */
const CRASH_IDS = 1_000_000;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every file under dir with its size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, f);
    const st = statSync(path);
    if (st.isFile())
      out[f] = `${st.size} ${st.mtimeMs} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
  }
  return out;
}

function filesContaining(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => {
    const path = join(dir, f);
    return statSync(path).isFile() && readFileSync(path).includes(needle);
  });
}

async function expectCode(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message: string },
  );
  expect(error, "expected a refusal").toBeDefined();
  expect(error!.code).toBe(code);
  expect(error!.message).toMatch(message);
}

describe("postgres backups with point-in-time recovery", () => {
  it("restores to a time between two batches exactly the rows committed before it", async () => {
    await insert(app, 1, 50, "secret-marker-before-backup");
    const base = await backups.createBackup(live, repo);
    expect(base.verified).toBe(true);
    await insert(app, 51, 100);
    await sleep(100);
    const between = Date.now();
    await sleep(100);
    await insert(app, 101, 150);
    await backups.waitForArchived(live);
    expect(await backups.sealWal(live, repo)).toBeGreaterThan(0);

    const listing = await backups.list(live, repo);
    expect(listing.receiverRunning).toBe(true);
    expect(listing.window!.earliest).toBe(base.endedAt);
    expect(listing.window!.latest).toBeGreaterThan(between);

    const result = await restoreInto("between", { kind: "time", at: between });
    expect(await idsIn(result)).toEqual(range(1, 100));
    expect(result.baseBackup).toBe(base.id);
    expect(result.restoredTo.lastCommitAt).toBeLessThanOrEqual(between);
    expect(result.restoredTo.lastCommitAt).toBeGreaterThan(between - 1_000);

    // At rest, nothing outside the receiver's current segment is readable without the key.
    expect(filesContaining(join(repo.dir, "base"), "secret-marker")).toEqual([]);
    expect(filesContaining(join(repo.dir, "wal"), "secret-marker")).toEqual([]);
  });

  it("refuses a target outside the recoverable window, naming the window, and writes nothing", async () => {
    const { window } = await backups.list(live, repo);
    for (const at of [window!.earliest - 60_000, window!.latest + 60_000]) {
      const dataDir = join(root, `outside ${at}`);
      await expectCode(
        backups.restore(live, repo, { target: { kind: "time", at }, dataDir, port: await freePort() }),
        "SLW_RESTORE_OUT_OF_WINDOW",
        new RegExp(
          `${new Date(window!.earliest).toISOString()} \\.\\. ${new Date(window!.latest).toISOString()}`,
        ),
      );
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it("after kill -9 in the middle of writes, restores every transaction committed before the crash", async () => {
    const writer = await connect(live);
    const acked: Array<{ id: number; at: number }> = [];
    const writing = (async () => {
      for (let id = CRASH_IDS; ; id++) {
        try {
          await writer.query("INSERT INTO items VALUES ($1, 'crash')", [id]);
        } catch {
          return;
        }
        acked.push({ id, at: Date.now() });
      }
    })();
    await sleep(1_500);
    const crashAt = Date.now();
    killCluster(live);
    const killedAt = Date.now();
    await writing;
    await writer.end().catch(() => {});
    expect(acked.length).toBeGreaterThan(50);

    const liveBefore = snapshot(live.dataDir);
    const result = await restoreInto("after crash", { kind: "latest" });
    const ids = new Set(await idsIn(result));
    const lost = acked.filter((a) => !ids.has(a.id));
    // RPO: nothing committed more than a second before the crash may be missing (streaming
    // usually loses nothing at all), and what is there is a prefix: no gaps.
    expect(lost.filter((a) => a.at < crashAt - 1_000)).toEqual([]);
    const crashIds = [...ids].filter((id) => id >= CRASH_IDS);
    expect(crashIds).toEqual(range(CRASH_IDS, CRASH_IDS + crashIds.length - 1));
    const lastAcked = acked.at(-1)!;
    expect(
      result.restoredTo.lastCommitAt,
      `restored to ${result.restoredTo.lastCommitAt}, crash at ${crashAt}, killed by ${killedAt}, last ack ${lastAcked.at}`,
    ).toBeLessThanOrEqual(killedAt);
    console.log(`crash: ${acked.length} commits acknowledged, ${lost.length} lost, RTO ${result.rtoMs} ms`);

    // The crashed live directory was not touched, and a restore onto or into it is refused.
    expect(snapshot(live.dataDir)).toEqual(liveBefore);
    for (const dataDir of [live.dataDir, join(live.dataDir, "base")])
      await expectCode(
        backups.restore(live, repo, { target: { kind: "latest" }, dataDir, port: await freePort() }),
        "SLW_BAD_REQUEST",
        /overlaps the live data directory/,
      );
    expect(snapshot(live.dataDir)).toEqual(liveBefore);

    // The live add-on comes back from its own crash recovery and the receiver reconnects.
    await driver.ensure(spec, live);
    await app.end().catch(() => {});
    app = await connect(live);
    await backups.waitForArchived(live, 30_000);
  });

  it("retention removes the backups and WAL outside the period, and what it keeps still restores", async () => {
    const b1 = await backups.createBackup(live, repo);
    await insert(app, 2_001, 2_010);
    const b2 = await backups.createBackup(live, repo);
    await insert(app, 2_011, 2_020);
    const b3 = await backups.createBackup(live, repo);
    await insert(app, 2_021, 2_030);
    await backups.waitForArchived(live);
    await backups.sealWal(live, repo);
    const before = await backups.list(live, repo);
    expect(before.backups.length).toBeGreaterThanOrEqual(4);

    // A period that starts between b2 and b3: b2 is needed to reach its first instant.
    const now = b3.endedAt + 1_000;
    const expired = await backups.expire(live, repo, now - (b2.endedAt + b3.endedAt) / 2, now);
    const after = await backups.list(live, repo);
    expect(after.backups.map((b) => b.id)).toEqual([b2.id, b3.id]);
    expect(expired.removedBackups).toContain(b1.id);
    expect(expired.removedWalSegments).toBeGreaterThan(0);
    const oldestSegment = segmentOf(b2.startLsn, b2.timeline, 16 * 1024 * 1024);
    const sealed = readdirSync(join(repo.dir, "wal")).sort();
    expect(sealed[0]!.slice(0, 24)).toBe(oldestSegment);
    expect(after.window!.earliest).toBe(b2.endedAt);

    const result = await restoreInto("after retention", { kind: "time", at: b2.endedAt + 1 });
    expect(result.baseBackup).toBe(b2.id);
    const ids = await idsIn(result);
    expect(ids).toContain(2_010);
    expect(ids).not.toContain(2_011);
  });

  it("detects a corrupted backup file by verification, and never restores from it", async () => {
    const good = (await backups.list(live, repo)).backups.at(-1)!;
    const bad = await backups.createBackup(live, repo);
    const file = join(repo.dir, "base", bad.id, "base.tar.zst.enc");
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);

    await expectCode(
      backups.verify(live, repo, bad.id),
      "SLW_BACKUP_CORRUPT",
      new RegExp(`${bad.id}.*failed verification`),
    );
    const listed = (await backups.list(live, repo)).backups.find((b) => b.id === bad.id)!;
    expect(listed.verified).toBe(false);
    expect(listed.verifyError).toMatch(/failed verification/);

    const result = await restoreInto("skipping corrupt", { kind: "latest" });
    expect(result.baseBackup).toBe(good.id);
  });

  it("caps the WAL the slot may keep for a dead receiver, so it cannot fill the live disk", async () => {
    const { rows } = await app.query<{ cap: string }>(
      "SELECT current_setting('max_slot_wal_keep_size') AS cap",
    );
    expect(rows[0]!.cap).toBe("4GB");
    const slot = await app.query<{ wal_status: string }>(
      "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'slipway_backup'",
    );
    // "reserved": within the cap, so nothing the receiver still needs can be recycled.
    expect(slot.rows[0]!.wal_status).toBe("reserved");
  });

  it("refuses a missing or wrong key with a clear error, writing nothing", async () => {
    const wrong = { ...repo, key: randomBytes(32) };
    const dataDir = join(root, "wrong key");
    await expectCode(
      backups.restore(live, wrong, { target: { kind: "latest" }, dataDir, port: await freePort() }),
      "SLW_BACKUP_KEY",
      /not the key these backups were encrypted with/,
    );
    expect(existsSync(dataDir)).toBe(false);

    const baseDirs = readdirSync(join(repo.dir, "base"));
    const missing = { ...repo, key: undefined as unknown as Buffer };
    await expectCode(backups.createBackup(live, missing), "SLW_BACKUP_KEY", /encryptionKey is missing/);
    await expectCode(backups.createBackup(live, wrong), "SLW_BACKUP_KEY", /not the key/);
    // WAL sealed with another key would be unreadable when it is needed.
    await expectCode(backups.sealWal(live, wrong), "SLW_BACKUP_KEY", /not the key/);
    expect(readdirSync(join(repo.dir, "base"))).toEqual(baseDirs);
  });
});

/**
 * SIGKILL to the postmaster and every child of it at once: a crash, not a shutdown. (Each child
 * leads its own process group, so the postmaster's group is not enough: a backend left alive
 * would go on committing after "the crash".)
 */
function killCluster(record: AddonRecord): void {
  const pm = postmasterPid(record)!.pid;
  const children = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((st) => st?.ppid === pm)
    .map((st) => st!.pid);
  for (const pid of [pm, ...children]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {} // a child that exited meanwhile
  }
}
