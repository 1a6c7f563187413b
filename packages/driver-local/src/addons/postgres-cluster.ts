import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "@slipway/core";
import { appendFileNoFollow, readFileNoFollow } from "@slipway/files";
import type { RunAs } from "../system/service-user";
import { label, writeOwnedFile } from "./data-dir";
import { logTail, run } from "./process";
import type { AddonRecord } from "./types";

/** The cluster's superuser; only the control plane knows its password (the record's). */
export const SUPERUSER = "postgres";
/** Streams WAL and takes base backups (postgres-backup/); nothing else, and never a database. */
export const REPLICATION_ROLE = "slipway_replication";

/** One Postgres cluster on disk: which binaries, where, as whom. */
export interface Cluster {
  binDir: string;
  record: AddonRecord;
  runAs: RunAs | undefined;
}

export const logFile = (record: AddonRecord) => join(record.dataDir, "postgres.log");

/** Major version the data directory was initialised with, if it was. */
export function initializedMajor(record: AddonRecord): number | undefined {
  const text = readFileNoFollow(join(record.dataDir, "PG_VERSION"));
  const major = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isFinite(major) ? major : undefined;
}

/** pid and port from postmaster.pid (lines 1 and 4), if the file is there. */
export function postmasterPid(record: AddonRecord): { pid: number; port: number } | undefined {
  const text = readFileNoFollow(join(record.dataDir, "postmaster.pid"));
  if (text === undefined) return undefined;
  const lines = text.split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  return Number.isFinite(pid) ? { pid, port } : undefined;
}

/**
 * pg_ctl launches the postmaster through `/bin/sh -c 'exec "postgres" -D "<dir>" …'`, so a data
 * directory with a double quote, `$`, backquote or backslash would be interpreted by that shell.
 */
export function assertShellSafeDataDir(record: AddonRecord): void {
  if (/["$`\\]/.test(record.dataDir))
    throw new SlipwayError(
      "SLW_ADDON_FAILED",
      `${label(record)}: pg_ctl cannot be given a data directory containing " $ \` or \\: ${record.dataDir}`,
      "keep the project in a directory whose path has none of these characters",
    );
}

/**
 * initdb with the superuser password in a 0600 file that only exists while initdb runs: a
 * password in argv is visible to every local user through /proc, and initdb has no stdin option.
 */
export async function initCluster({ binDir, record, runAs }: Cluster): Promise<void> {
  if (/[\r\n]/.test(record.password))
    throw new SlipwayError("SLW_ADDON_FAILED", `${label(record)}: the password must be a single line`);
  const pwDir = mkdtempSync(join(tmpdir(), "slipway-pw-"));
  try {
    // Ours, passable (not listable or writable) by the add-on user: it reads its own 0600 file
    // here, and can plant nothing for our recursive removal below to follow.
    if (runAs) chmodSync(pwDir, 0o711);
    const pwFile = join(pwDir, "pwfile");
    writeOwnedFile(pwFile, `${record.password}\n`, runAs);
    const r = await run(
      join(binDir, "initdb"),
      [
        "-D",
        record.dataDir,
        "-U",
        SUPERUSER,
        `--pwfile=${pwFile}`,
        "--auth-local=peer",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-instructions",
      ],
      runAs,
    );
    if (r.code !== 0) throw failed(record, "initdb failed", r.output);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  writeAccessRules({ binDir, record, runAs });
  appendFileNoFollow(
    join(record.dataDir, "postgresql.conf"),
    "\n# Slipway writes slipway.conf before every start (port, addresses, socket).\ninclude = 'slipway.conf'\n",
    0o600,
    runAs,
  );
}

/**
 * Loopback only, always with a SCRAM password; the unix socket (inside the 0700 data
 * directory) admits only the OS user that owns the cluster (the add-on user, never the one
 * services run as), and only as the superuser. Services reach their databases over TCP as the
 * app role. Replication connections (WAL streaming, base backups) only as the replication role,
 * which exists once backups are enabled; enabling them rewrites this file on older clusters.
 */
export function writeAccessRules({ record, runAs }: Cluster): void {
  const owner = runAs?.user ?? userInfo().username;
  writeOwnedFile(
    join(record.dataDir, "pg_hba.conf"),
    [
      "# Written by Slipway.",
      "# TYPE  DATABASE  USER  ADDRESS       METHOD",
      `local   all       ${SUPERUSER}              peer map=owner`,
      "host    all       all   127.0.0.1/32  scram-sha-256",
      `host    replication  ${REPLICATION_ROLE}  127.0.0.1/32  scram-sha-256`,
      "",
    ].join("\n"),
    runAs,
  );
  writeOwnedFile(join(record.dataDir, "pg_ident.conf"), `owner  ${owner}  ${SUPERUSER}\n`, runAs);
}

/** Rewritten before each start, so a changed port or moved project takes effect. */
export function writeSettings({ record, runAs }: Cluster): void {
  // sun_path holds 107 bytes; past that the socket is left out (TCP still works).
  const socketDir = `${record.dataDir}/.s.PGSQL.${record.port}`.length <= 107 ? record.dataDir : "";
  const socketList = socketDir ? `"${socketDir.replaceAll('"', '""')}"` : "";
  writeOwnedFile(
    join(record.dataDir, "slipway.conf"),
    [
      "listen_addresses = '127.0.0.1'",
      `port = ${record.port}`,
      `unix_socket_directories = ${confString(socketList)}`,
      "unix_socket_permissions = 0700",
      "password_encryption = 'scram-sha-256'",
      "",
    ].join("\n"),
    runAs,
  );
}

/** pg_ctl -w returns once the postmaster accepts connections; it is detached from us already. */
export async function startCluster(c: Cluster): Promise<void> {
  const r = await run(
    join(c.binDir, "pg_ctl"),
    ["start", "-D", c.record.dataDir, "-l", logFile(c.record), "-w", "-t", "30", "-s"],
    c.runAs,
  );
  if (r.code !== 0) throw failed(c.record, "did not start", r.output);
}

/** Fast shutdown: rolls back open transactions, checkpoints, exits cleanly. */
export async function stopCluster(c: Cluster): Promise<void> {
  const r = await run(
    join(c.binDir, "pg_ctl"),
    ["stop", "-D", c.record.dataDir, "-m", "fast", "-w", "-t", "30", "-s"],
    c.runAs,
  );
  if (r.code !== 0) throw failed(c.record, "did not stop", r.output);
}

export function failed(record: AddonRecord, what: string, output = "", reason?: "password"): SlipwayError {
  const tail = [output.trim(), logTail([logFile(record)])].filter(Boolean).join("\n");
  return new SlipwayError(
    "SLW_ADDON_FAILED",
    `${label(record)} ${what}${tail ? `:\n${tail}` : ""}`,
    `the full log is ${logFile(record)}`,
    { log: tail, ...(reason ? { reason } : {}) },
  );
}

/** A postgresql.conf string literal. */
function confString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}
