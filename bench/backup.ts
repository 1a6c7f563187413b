// `npm run bench -- backup [--quick]`: continuous protection of a postgres add-on, ours
// (pg_receivewal streaming + verified pg_basebackup, zstd, AES-256-GCM) against pgBackRest
// (Debian's package, defaults: gzip, archive-push from archive_command with archive_timeout 60 s)
// on the same pgbench database, in the same run, under the same steady write load.
//
// Measured: base-backup time (ours includes its verification), RTO (restore of the latest state
// into a new instance until it accepts writes) and achieved RPO, busy and quiet. The crash is
// `pg_ctl stop -m immediate`. A heartbeat row is committed every 50 ms (busy) or 500 ms (quiet);
// RPO = the time of the newest heartbeat acknowledged before the crash minus that of the newest
// one the restored instance has (0 when nothing acknowledged was lost).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { addonDriver } from "../packages/driver-local/src/addons";
import { type BackupRepository, postgresBackups } from "../packages/driver-local/src/addons/postgres-backup";
import { run } from "../packages/driver-local/src/addons/process";
import type { AddonRecord } from "../packages/driver-local/src/addons/types";
import { requirePostgresBinDir } from "../packages/driver-local/src/system/binaries";
import { freePort } from "../packages/driver-local/src/system/ports";
import { addonUser } from "../packages/driver-local/src/system/service-user";
import type { PostgresAddon } from "../packages/spec/src";

const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
const driver = addonDriver("postgres");
const backups = postgresBackups();
const bin = requirePostgresBinDir(15);
const runAs = addonUser();

interface Side {
  backupS: number;
  rtoS: number;
  rpoBusyS: number;
  rpoQuietS: number;
}

export default async function backupBench({ quick }: { quick: boolean }) {
  const pgbackrest = findPgbackrest();
  const scale = quick ? 5 : 70;
  if (quick)
    console.log(
      `--quick: pgbench scale ${scale} (~${scale * 15} MB), not the ≥ 1 GB (scale 70) of a full run`,
    );
  if (!pgbackrest)
    console.log(
      "pgBackRest not found: install it with `apt-get install -y pgbackrest` to get the reference column",
    );
  const root = mkdtempSync("/tmp/slipway-bench-backup-");
  chmodSync(root, 0o755);
  const live: AddonRecord = {
    env: "bench",
    name: "db",
    kind: "postgres",
    port: await freePort(),
    password: randomBytes(12).toString("hex"),
    dataDir: join(root, "live"),
  };
  const repo: BackupRepository = { dir: join(root, "repo"), key: randomBytes(32) };
  const started: AddonRecord[] = [live];
  try {
    await driver.ensure(spec, live);
    console.log(`pgbench -i -s ${scale} …`);
    await pgbench(live, ["-i", "-s", String(scale), "-q"]);
    const dbGb = (await query(live, "SELECT pg_database_size('app') AS b"))[0].b / 1e9;
    await query(live, "CREATE TABLE heartbeat (id bigserial PRIMARY KEY, at timestamptz NOT NULL)");
    const br = pgbackrest ? await setUpPgbackrest(pgbackrest, root, live) : undefined;
    await backups.protect(live, repo);

    // Busy: steady pgbench load + 20 heartbeats a second, both backups taken under it, crash.
    let load = startLoad(live, quick ? 100 : 200, 50);
    await sleep(2_000);
    let t = Date.now();
    const ourBackup = await backups.createBackup(live, repo);
    const ours: Side = { backupS: (Date.now() - t) / 1000, rtoS: 0, rpoBusyS: 0, rpoQuietS: 0 };
    t = Date.now();
    await backups.verify(live, repo, ourBackup.id);
    const verifyS = (Date.now() - t) / 1000;
    let ref: Side | undefined;
    if (br) {
      t = Date.now();
      await br.run(["--type=full", "backup"]);
      ref = { backupS: (Date.now() - t) / 1000, rtoS: 0, rpoBusyS: 0, rpoQuietS: 0 };
    }
    await sleep(quick ? 3_000 : 10_000);
    await crash(live);
    let acked = await load.stop();
    const busyOurs = await restoreOurs(live, repo, join(root, "ours-busy"), started);
    ours.rtoS = busyOurs.rtoS;
    ours.rpoBusyS = rpo(acked, busyOurs.newestAck);
    if (br && ref) {
      const r = await restorePgbackrest(br, live, join(root, "pgbr-busy"), started);
      ref.rtoS = r.rtoS;
      ref.rpoBusyS = rpo(acked, r.newestAck);
    }
    await stopAndRemove(started.splice(1));

    // Quiet: the live cluster back up, only a heartbeat every 500 ms, crash again.
    await driver.ensure(spec, live);
    await backups.waitForArchived(live, 30_000);
    load = startLoad(live, 0, 500);
    await sleep(quick ? 3_000 : 8_000);
    await crash(live);
    acked = await load.stop();
    const quietOurs = await restoreOurs(live, repo, join(root, "ours-quiet"), started);
    ours.rpoQuietS = rpo(acked, quietOurs.newestAck);
    if (br && ref)
      ref.rpoQuietS = rpo(
        acked,
        (await restorePgbackrest(br, live, join(root, "pgbr-quiet"), started)).newestAck,
      );

    printTable(ours, ref, dbGb, verifyS, quick);
    const na = "n/a";
    return {
      rpo_s: Math.max(ours.rpoBusyS, ours.rpoQuietS).toFixed(3),
      rto_s: ours.rtoS.toFixed(2),
      pgbackrest_rto_s: ref ? ref.rtoS.toFixed(2) : na,
      backup_s: ours.backupS.toFixed(2),
      pgbackrest_backup_s: ref ? ref.backupS.toFixed(2) : na,
      db_gb: dbGb.toFixed(2),
      rpo_busy_s: ours.rpoBusyS.toFixed(3),
      rpo_quiet_s: ours.rpoQuietS.toFixed(3),
      pgbackrest_rpo_busy_s: ref ? ref.rpoBusyS.toFixed(3) : na,
      pgbackrest_rpo_quiet_s: ref ? ref.rpoQuietS.toFixed(3) : na,
      rto_s_per_gb: (ours.rtoS / dbGb).toFixed(2),
    };
  } finally {
    await backups.stopStreaming(repo).catch(() => {});
    await stopAndRemove(started);
    rmSync(root, { recursive: true, force: true });
  }
}

function findPgbackrest(): string | undefined {
  return ["/usr/bin/pgbackrest", "/usr/local/bin/pgbackrest"].find((p) => existsSync(p));
}

function superuserUrl(record: AddonRecord, db = "app"): string {
  return `postgres://postgres:${record.password}@127.0.0.1:${record.port}/${db}`;
}

// biome-ignore lint/suspicious/noExplicitAny: bench rows
async function query(record: AddonRecord, sql: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: superuserUrl(record) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function pgbench(record: AddonRecord, args: string[]): Promise<void> {
  const child = spawnPgbench(record, args, "inherit");
  return new Promise((resolve, reject) =>
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`pgbench exited ${code}`)))),
  );
}

function spawnPgbench(record: AddonRecord, args: string[], stdio: "inherit" | "ignore"): ChildProcess {
  return spawn(
    join(bin, "pgbench"),
    ["-h", "127.0.0.1", "-p", String(record.port), "-U", "postgres", ...args, "app"],
    { env: { ...process.env, PGPASSWORD: record.password }, stdio: ["ignore", stdio, stdio] },
  );
}

/** A heartbeat the database acknowledged: its commit-time clock_timestamp(), in ms. */
interface Ack {
  id: number;
  at: number;
}

/** pgbench at `tps` (0: none) and a heartbeat every `heartbeatMs`; stop() returns the acknowledged heartbeats. */
function startLoad(record: AddonRecord, tps: number, heartbeatMs: number) {
  const bench =
    tps > 0
      ? spawnPgbench(record, ["-n", "-c", "2", "-j", "1", "-R", String(tps), "-T", "3600"], "ignore")
      : undefined;
  const acked: Ack[] = [];
  let stopped = false;
  const beating = (async () => {
    const client = new pg.Client({ connectionString: superuserUrl(record) });
    client.on("error", () => {});
    await client.connect();
    while (!stopped) {
      try {
        const { rows } = await client.query(
          "INSERT INTO heartbeat (at) VALUES (clock_timestamp()) RETURNING id",
        );
        acked.push({ id: Number(rows[0].id), at: Date.now() });
      } catch {
        break; // the crash
      }
      await sleep(heartbeatMs);
    }
    await client.end().catch(() => {});
  })();
  return {
    async stop(): Promise<Ack[]> {
      stopped = true;
      bench?.kill("SIGTERM");
      await beating;
      return acked;
    },
  };
}

/** Like the measurements: every postgres process gone at once, no checkpoint. */
async function crash(record: AddonRecord): Promise<void> {
  const r = await run(
    join(bin, "pg_ctl"),
    ["stop", "-D", record.dataDir, "-m", "immediate", "-w", "-s"],
    runAs,
  );
  if (r.code !== 0) throw new Error(`pg_ctl stop -m immediate: ${r.output}`);
}

/** Seconds of acknowledged heartbeats missing after the restore (0 when the newest is there). */
function rpo(acked: Ack[], newestRestoredAt: number | undefined): number {
  const last = acked.at(-1);
  if (!last) return 0;
  return Math.max(0, (last.at - (newestRestoredAt ?? 0)) / 1000);
}

async function newestHeartbeat(record: AddonRecord): Promise<number | undefined> {
  const rows = await query(record, "SELECT max(at) AS at FROM heartbeat");
  return (rows[0].at as Date | null)?.getTime();
}

async function restoreOurs(
  live: AddonRecord,
  repo: BackupRepository,
  dataDir: string,
  started: AddonRecord[],
) {
  const t = Date.now();
  const result = await backups.restore(live, repo, {
    target: { kind: "latest" },
    dataDir,
    port: await freePort(),
  });
  const rtoS = (Date.now() - t) / 1000;
  started.push(result.record);
  const p = result.phasesMs;
  console.log(
    `ours: restored in ${rtoS.toFixed(2)} s (unpack ${p.unpack} ms, WAL ${p.wal} ms, recovery ${p.recovery} ms)`,
  );
  return { rtoS, newestAck: await newestHeartbeat(result.record) };
}

interface Pgbackrest {
  run(args: string[]): Promise<string>;
}

/** pgBackRest as Debian ships it, defaults except a fast checkpoint (ours uses one too). */
async function setUpPgbackrest(exe: string, root: string, live: AddonRecord): Promise<Pgbackrest> {
  const dirs = ["pgbr-repo", "pgbr-log", "pgbr-lock", "pgbr-spool"].map((d) => join(root, d));
  for (const d of dirs) {
    mkdirSync(d, { mode: 0o700 });
    if (runAs) chownSync(d, runAs.uid, runAs.gid);
  }
  const conf = join(root, "pgbackrest.conf");
  writeFileSync(
    conf,
    [
      "[global]",
      `repo1-path=${dirs[0]}`,
      `log-path=${dirs[1]}`,
      `lock-path=${dirs[2]}`,
      `spool-path=${dirs[3]}`,
      "start-fast=y",
      "log-level-console=warn",
      "[bench]",
      `pg1-path=${live.dataDir}`,
      `pg1-port=${live.port}`,
      `pg1-socket-path=${live.dataDir}`,
      "pg1-user=postgres",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const br: Pgbackrest = {
    async run(args) {
      const r = await run(exe, [`--config=${conf}`, "--stanza=bench", ...args], runAs);
      if (r.code !== 0) throw new Error(`pgbackrest ${args.join(" ")}: ${r.output}`);
      return r.output;
    },
  };
  // archive_command is a shell string by PostgreSQL's design; every part of it is ours.
  await query(live, "ALTER SYSTEM SET archive_mode = 'on'");
  await query(
    live,
    `ALTER SYSTEM SET archive_command = '${exe} --config=${conf} --stanza=bench archive-push %p'`,
  );
  await query(live, "ALTER SYSTEM SET archive_timeout = '60s'");
  await driver.stop(live);
  await driver.ensure(spec, live);
  await br.run(["stanza-create"]);
  await br.run(["check"]);
  return br;
}

async function restorePgbackrest(br: Pgbackrest, live: AddonRecord, dataDir: string, started: AddonRecord[]) {
  const port = await freePort();
  const record: AddonRecord = { ...live, dataDir, port };
  const t = Date.now();
  mkdirSync(dataDir, { mode: 0o700 });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  await br.run([`--pg1-path=${dataDir}`, "--archive-mode=off", "restore"]);
  // Its own port and socket directory, never the live cluster's.
  execFileSync("tee", ["-a", join(dataDir, "postgresql.auto.conf")], {
    input: `\nport = ${port}\nunix_socket_directories = '${dataDir}'\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const r = await run(
    join(bin, "pg_ctl"),
    ["start", "-D", dataDir, "-l", join(dataDir, "postgres.log"), "-w", "-t", "3600", "-s"],
    runAs,
  );
  if (r.code !== 0) throw new Error(`pgBackRest's restore did not start: ${r.output}`);
  started.push(record);
  for (;;) {
    const rows = await query(record, "SELECT pg_is_in_recovery() AS r").catch(() => [{ r: true }]);
    if (rows[0].r === false) break;
    await sleep(50);
  }
  const rtoS = (Date.now() - t) / 1000;
  return { rtoS, newestAck: await newestHeartbeat(record) };
}

async function stopAndRemove(records: AddonRecord[]): Promise<void> {
  for (const r of records) await driver.stop(r).catch(() => {});
}

function printTable(ours: Side, ref: Side | undefined, dbGb: number, verifyS: number, quick: boolean): void {
  const f = (n: number | undefined, digits = 2) => (n === undefined ? "n/a" : n.toFixed(digits));
  const rows: Array<[string, string, string]> = [
    ["base backup (s)", `${f(ours.backupS)} (verify ${f(verifyS)})`, f(ref?.backupS)],
    ["RTO, latest (s)", f(ours.rtoS), f(ref?.rtoS)],
    ["RTO per GB (s)", f(ours.rtoS / dbGb), f(ref ? ref.rtoS / dbGb : undefined)],
    ["RPO busy (s)", f(ours.rpoBusyS, 3), f(ref?.rpoBusyS, 3)],
    ["RPO quiet (s)", f(ours.rpoQuietS, 3), f(ref?.rpoQuietS, 3)],
  ];
  console.log(
    `\ndatabase ${dbGb.toFixed(2)} GB${quick ? " (--quick: small)" : ""}, 2 cores, crash = pg_ctl stop -m immediate`,
  );
  console.log(`${"".padEnd(18)}${"slipway (stream+zstd+gcm)".padEnd(30)}pgBackRest 2.x (defaults)`);
  for (const [name, a, b] of rows) console.log(`${name.padEnd(18)}${a.padEnd(30)}${b}`);
}
