import { rmSync } from "node:fs";
import { join } from "node:path";
import { isSlipwayError, SlipwayError } from "@slipway/core";
import { readFileNoFollow } from "@slipway/files";
import { type Cluster, REPLICATION_ROLE } from "../postgres-cluster";
import { type BackupKey, checkKey, corrupt, decryptStream } from "./encryption";
import { replicationPassword } from "./protection";
import {
  type BackupMeta,
  backupAad,
  backupMetaName,
  backupName,
  listBackups,
  locate,
  ownedDir,
  type Repo,
  removeBackup,
  requireRepoConfig,
  writeJson,
} from "./repository";
import { writeSealed } from "./sealed-file";
import { finished, pipeInto, runTool, spawnTool } from "./tools";

/**
 * pg_basebackup streams one tar (the data files, the WAL that makes them consistent, and the
 * backup manifest) to stdout, zstd-compressed on our side, and we encrypt it on its way to
 * disk: nothing of it is ever on disk in plaintext. Then it is verified from the stored file.
 */
export async function takeBaseBackup(
  c: Cluster,
  repo: Repo,
  key: BackupKey,
  now = Date.now,
): Promise<BackupMeta> {
  const config = await requireRepoConfig(repo);
  const fingerprint = checkKey(key, config.keyFingerprint);
  const id = backupId(now(), await listBackups(repo));
  const startedAt = now();
  const child = spawnTool(
    join(c.binDir, "pg_basebackup"),
    [
      "--host=127.0.0.1",
      `--port=${c.record.port}`,
      `--username=${REPLICATION_ROLE}`,
      "--no-password",
      "--pgdata=-",
      "--format=tar",
      // Fetched at the end, which the slot makes safe: the WAL it needs cannot be recycled.
      "--wal-method=fetch",
      "--compress=client-zstd:level=1",
      "--checkpoint=fast",
      `--label=slipway ${id}`,
    ],
    { runAs: c.runAs, password: replicationPassword(c.record), stdout: "pipe" },
  );
  const exited = finished(child, "pg_basebackup", false);
  exited.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection first
  let bytes: number;
  try {
    if (!child.stdout) throw new Error("pg_basebackup has no stdout");
    bytes = await writeSealed(child.stdout, [], key, backupAad(id), repo, backupName(id));
    await exited;
  } catch (e) {
    await removeBackup(repo, id).catch(() => {});
    // The tool's own message says more than the broken pipe it caused.
    throw (
      (await exited.then(
        () => undefined,
        (toolError: unknown) => toolError,
      )) ?? e
    );
  }
  const endedAt = now();
  const meta: BackupMeta = {
    id,
    startLsn: "",
    endLsn: "",
    timeline: 0,
    startedAt,
    endedAt,
    verified: false,
    bytes,
    keyFingerprint: fingerprint,
  };
  return verifyBackup(c, repo, meta, key);
}

/**
 * Proves the stored file restores: decrypts it (the GCM tag covers every byte), unpacks it
 * into scratch space as the add-on user and runs pg_verifybackup there (every file against the
 * manifest's checksums, and the WAL it needs parsed). Records the outcome in meta.json either way.
 */
export async function verifyBackup(
  c: Cluster,
  repo: Repo,
  meta: BackupMeta,
  key: BackupKey,
): Promise<BackupMeta> {
  checkKey(key, meta.keyFingerprint);
  const scratch = repo.paths.scratch(`verify-${meta.id}`);
  rmSync(scratch, { recursive: true, force: true });
  ownedDir(scratch, c.runAs);
  let result: BackupMeta;
  try {
    await unpackBackup(c, repo, meta.id, key, scratch);
    await runTool(join(c.binDir, "pg_verifybackup"), ["--quiet", scratch], "pg_verifybackup", {
      runAs: c.runAs,
    }).catch((e) => {
      throw corrupt(locate(repo, backupName(meta.id)), isSlipwayError(e) ? e.message : String(e));
    });
    const range = walRange(scratch);
    result = { ...meta, ...range, verified: true };
    delete result.verifyError;
  } catch (e) {
    await writeJson(repo, backupMetaName(meta.id), {
      ...meta,
      verified: false,
      verifyError: e instanceof Error ? e.message : String(e),
    });
    throw e;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  await writeJson(repo, backupMetaName(meta.id), result);
  return result;
}

/**
 * Decrypts a base backup into `dir` (which the add-on user owns), unpacking with tar as that
 * user. Any failure means the file is not what was stored: it is reported as corrupt.
 */
export async function unpackBackup(
  c: Cluster,
  repo: Repo,
  id: string,
  key: BackupKey,
  dir: string,
): Promise<void> {
  const file = locate(repo, backupName(id));
  const source = await repo.store.read(backupName(id));
  if (!source) throw corrupt(file, "it is missing");
  const tar = spawnTool("tar", ["--zstd", "--extract", "--file=-", `--directory=${dir}`], {
    runAs: c.runAs,
    stdin: "pipe",
  });
  try {
    await pipeInto(source, [decryptStream(key, backupAad(id), file)], tar, "unpacking the backup");
  } catch (e) {
    if (isSlipwayError(e) && e.code !== "SLW_BACKUP_FAILED") throw e;
    throw corrupt(file, `it does not unpack: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The WAL range the backup needs, from its manifest (pg_verifybackup has just checked it). */
function walRange(dir: string): Pick<BackupMeta, "startLsn" | "endLsn" | "timeline"> {
  const text = readFileNoFollow(join(dir, "backup_manifest"), 256 << 20);
  const ranges = text ? (JSON.parse(text)["WAL-Ranges"] as Array<Record<string, unknown>>) : undefined;
  const range = ranges?.[0];
  if (!range || ranges.length !== 1)
    throw new SlipwayError(
      "SLW_BACKUP_FAILED",
      "the backup manifest has no single WAL range",
      "take a new base backup",
    );
  return {
    startLsn: String(range["Start-LSN"]),
    endLsn: String(range["End-LSN"]),
    timeline: Number(range.Timeline),
  };
}

/** Sortable, unique within the repository: 20261130T104501.123Z. */
function backupId(at: number, existing: readonly BackupMeta[]): string {
  const base = new Date(at).toISOString().replaceAll("-", "").replaceAll(":", "");
  const taken = new Set(existing.map((b) => b.id));
  let id = base;
  for (let n = 1; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}
