import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isSlipwayError } from "@slipway/core";
import type { Cluster } from "../postgres-cluster";
import { type BackupKey, corrupt, decryptStream } from "./encryption";
import { ownedDir, type RepoPaths } from "./repository";
import { openNoFollow, writeSealed } from "./sealed-file";
import { finished, outcome, pipeInto, runTool, spawnTool } from "./tools";
import { SEGMENT, segmentOrder } from "./wal-names";

const SEALED = /^([0-9A-F]{24})\.zst\.enc$/;
const walAad = (segment: string) => `wal/${segment}.zst`;
const sealedFile = (paths: RepoPaths, segment: string) => join(paths.wal, `${segment}.zst.enc`);

/** The archived WAL: sealed segments, completed ones not sealed yet, and the one being streamed. */
export interface WalInventory {
  sealed: string[];
  unsealed: string[];
  /** The segment pg_receivewal is writing (its file is `<segment>.partial`). */
  partial: string | undefined;
}

export function walInventory(paths: RepoPaths): WalInventory {
  const sealed = existsSync(paths.wal)
    ? readdirSync(paths.wal).flatMap((f) => SEALED.exec(f)?.[1] ?? [])
    : [];
  const incoming = existsSync(paths.incoming) ? readdirSync(paths.incoming) : [];
  const unsealed = incoming.filter((f) => SEGMENT.test(f));
  const partials = incoming
    .filter((f) => f.endsWith(".partial") && SEGMENT.test(f.slice(0, -8)))
    .map((f) => f.slice(0, -8));
  return {
    sealed: sealed.sort(segmentOrder),
    unsealed: unsealed.sort(segmentOrder),
    partial: partials.sort(segmentOrder).at(-1),
  };
}

/**
 * Compresses (zstd) and encrypts every segment pg_receivewal has completed, then removes the
 * plaintext. Only the segment being streamed stays plaintext, beside a live data directory
 * that holds the same bytes. Returns how many were sealed.
 */
export async function sealWal(c: Cluster, paths: RepoPaths, key: BackupKey): Promise<number> {
  const { unsealed } = walInventory(paths);
  for (const segment of unsealed) {
    const source = openNoFollow(join(paths.incoming, segment));
    if (!source) continue; // not a plain file: never ours to read
    await compressAndSeal(c, source, key, walAad(segment), sealedFile(paths, segment));
    unlinkSync(join(paths.incoming, segment));
  }
  return unsealed.length;
}

async function compressAndSeal(
  c: Cluster,
  source: Readable,
  key: BackupKey,
  aad: string,
  dest: string,
): Promise<void> {
  const zstd = spawnTool("zstd", ["-1", "-q", "-c"], { runAs: c.runAs, stdin: "pipe", stdout: "pipe" });
  const exited = finished(zstd, "compressing WAL with zstd", false);
  exited.catch(() => {}); // awaited below
  zstd.stdin!.on("error", () => {}); // EPIPE if zstd dies: its exit says why
  const steps = await Promise.allSettled([
    pipeline(source, zstd.stdin!),
    writeSealed(zstd.stdout!, [], key, aad, dest),
  ]);
  await exited;
  for (const step of steps) if (step.status === "rejected") throw step.reason;
}

/**
 * Puts every archived segment from `from` on into `dir` (a restored cluster's pg_wal, the
 * add-on user's), decrypted and decompressed by zstd running as that user. The segment being
 * streamed goes in under its final name: recovery reads it up to its last complete record.
 */
export async function materializeWal(
  c: Cluster,
  paths: RepoPaths,
  key: BackupKey,
  from: string,
  dir: string,
): Promise<number> {
  const inv = walInventory(paths);
  const after = (s: string) => segmentOrder(s, from) >= 0;
  const sealed = inv.sealed.filter(after);
  for (const segment of sealed) await unsealSegment(c, paths, key, segment, join(dir, segment));
  const plain = [
    ...inv.unsealed.filter(after).map((s) => [s, s]),
    ...(inv.partial && after(inv.partial) ? [[`${inv.partial}.partial`, inv.partial]] : []),
  ];
  for (const [file, segment] of plain)
    await runTool("cp", ["--", join(paths.incoming, file!), join(dir, segment!)], `copying WAL ${file}`, {
      runAs: c.runAs,
    });
  return sealed.length + plain.length;
}

async function unsealSegment(
  c: Cluster,
  paths: RepoPaths,
  key: BackupKey,
  segment: string,
  dest: string,
): Promise<void> {
  const file = sealedFile(paths, segment);
  const zstd = spawnTool("zstd", ["-d", "-q", "-f", "-o", dest], { runAs: c.runAs, stdin: "pipe" });
  try {
    await pipeInto(
      createReadStream(file),
      [decryptStream(key, walAad(segment), file)],
      zstd,
      `unpacking WAL ${segment}`,
    );
  } catch (e) {
    if (isSlipwayError(e) && e.code !== "SLW_BACKUP_FAILED") throw e;
    throw corrupt(file, `it does not decompress: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Time of the newest commit (or abort) in the archive, rounded up to the millisecond: the
 * latest instant a point-in-time restore can stop at. Reads segments newest first with
 * pg_waldump until one holds a transaction end; undefined when none of the last `limit` do.
 */
export async function lastCommitTime(
  c: Cluster,
  paths: RepoPaths,
  key: BackupKey,
  limit = 8,
): Promise<number | undefined> {
  const inv = walInventory(paths);
  const newestFirst = [
    ...(inv.partial ? [{ segment: inv.partial, plain: `${inv.partial}.partial` }] : []),
    ...[...inv.unsealed].reverse().map((s) => ({ segment: s, plain: s })),
    ...[...inv.sealed].reverse().map((s) => ({ segment: s, plain: undefined })),
  ].slice(0, limit);
  const scratch = paths.scratch(`waldump-${randomBytes(4).toString("hex")}`); // list() may run concurrently
  rmSync(scratch, { recursive: true, force: true });
  ownedDir(scratch, c.runAs);
  try {
    for (const { segment, plain } of newestFirst) {
      const copy = join(scratch, segment);
      if (plain)
        await runTool("cp", ["--", join(paths.incoming, plain), copy], `copying WAL ${plain}`, {
          runAs: c.runAs,
        });
      else await unsealSegment(c, paths, key, segment, copy);
      const at = newestTransactionEnd(await waldump(c, scratch, segment));
      rmSync(copy, { force: true });
      if (at !== undefined) return at;
    }
    return undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** pg_waldump stops with an error at the end of what it has: its output up to there is what counts. */
async function waldump(c: Cluster, dir: string, segment: string): Promise<string> {
  const child = spawnTool(join(c.binDir, "pg_waldump"), ["--rmgr=Transaction", `--path=${dir}`, segment], {
    runAs: c.runAs,
    stdout: "pipe",
  });
  return (await outcome(child)).stdout;
}

const TX_END = /desc: (?:COMMIT|ABORT) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d+))? UTC/g;

export function newestTransactionEnd(waldumpOutput: string): number | undefined {
  let last: RegExpExecArray | undefined;
  for (const m of waldumpOutput.matchAll(TX_END)) last = m;
  if (!last) return undefined;
  const micros = Number((last[2] ?? "").padEnd(6, "0").slice(0, 6));
  return Date.parse(`${last[1]!.replace(" ", "T")}Z`) + Math.ceil(micros / 1000);
}

/** Removes archived segments before `segment` (sealed or not); returns how many. */
export function removeWalBefore(paths: RepoPaths, segment: string): number {
  const inv = walInventory(paths);
  let removed = 0;
  for (const s of inv.sealed.filter((x) => segmentOrder(x, segment) < 0)) {
    rmSync(sealedFile(paths, s), { force: true });
    removed++;
  }
  for (const s of inv.unsealed.filter((x) => segmentOrder(x, segment) < 0)) {
    rmSync(join(paths.incoming, s), { force: true });
    removed++;
  }
  return removed;
}
