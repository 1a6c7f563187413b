import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Cluster } from "../postgres-cluster";
import type { BackupKey } from "./encryption";
import { ownedDir, type Repo } from "./repository";
import { openNoFollow, unsealDecompressed, writeCompressedSealed } from "./sealed-file";
import { outcome, runTool, spawnTool } from "./tools";
import { SEGMENT, segmentOrder } from "./wal-names";

const SEALED = /^wal\/([0-9A-F]{24})\.zst\.enc$/;
const walAad = (segment: string) => `wal/${segment}.zst`;
const sealedName = (segment: string) => `wal/${segment}.zst.enc`;

/** The archived WAL: sealed segments, completed ones not sealed yet, and the one being streamed. */
export interface WalInventory {
  sealed: string[];
  unsealed: string[];
  /** The segment pg_receivewal is writing (its file is `<segment>.partial`). */
  partial: string | undefined;
}

export async function walInventory(repo: Repo): Promise<WalInventory> {
  const paths = repo.paths;
  const sealed = (await repo.store.list("wal/")).flatMap((f) => SEALED.exec(f)?.[1] ?? []);
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
export async function sealWal(c: Cluster, repo: Repo, key: BackupKey): Promise<number> {
  const { unsealed } = await walInventory(repo);
  for (const segment of unsealed) {
    const source = openNoFollow(join(repo.paths.incoming, segment));
    if (!source) continue; // not a plain file: never ours to read
    await writeCompressedSealed(c.runAs, source, key, walAad(segment), repo, sealedName(segment));
    unlinkSync(join(repo.paths.incoming, segment));
  }
  return unsealed.length;
}

/**
 * Puts every archived segment from `from` on into `dir` (a restored cluster's pg_wal, the
 * add-on user's), decrypted and decompressed by zstd running as that user. The segment being
 * streamed goes in under its final name: recovery reads it up to its last complete record.
 */
export async function materializeWal(
  c: Cluster,
  repo: Repo,
  key: BackupKey,
  from: string,
  dir: string,
): Promise<number> {
  const inv = await walInventory(repo);
  const after = (s: string) => segmentOrder(s, from) >= 0;
  const sealed = inv.sealed.filter(after);
  for (const segment of sealed) await unsealSegment(c, repo, key, segment, join(dir, segment));
  const plain = [
    ...inv.unsealed.filter(after).map((s) => [s, s]),
    ...(inv.partial && after(inv.partial) ? [[`${inv.partial}.partial`, inv.partial]] : []),
  ];
  for (const [file, segment] of plain)
    await runTool(
      "cp",
      ["--", join(repo.paths.incoming, file!), join(dir, segment!)],
      `copying WAL ${file}`,
      {
        runAs: c.runAs,
      },
    );
  return sealed.length + plain.length;
}

function unsealSegment(c: Cluster, repo: Repo, key: BackupKey, segment: string, dest: string): Promise<void> {
  return unsealDecompressed(c.runAs, repo, key, sealedName(segment), walAad(segment), dest);
}

/**
 * Time of the newest commit (or abort) in the archive, rounded up to the millisecond: the
 * latest instant a point-in-time restore can stop at. Reads segments newest first with
 * pg_waldump until one holds a transaction end; undefined when none of the last `limit` do.
 */
export async function lastCommitTime(
  c: Cluster,
  repo: Repo,
  key: BackupKey,
  limit = 8,
): Promise<number | undefined> {
  const paths = repo.paths;
  const inv = await walInventory(repo);
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
      else await unsealSegment(c, repo, key, segment, copy);
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
export async function removeWalBefore(repo: Repo, segment: string): Promise<number> {
  const inv = await walInventory(repo);
  const before = (x: string) => segmentOrder(x, segment) < 0;
  const sealed = inv.sealed.filter(before);
  await repo.store.remove(sealed.map(sealedName));
  const unsealed = inv.unsealed.filter(before);
  for (const s of unsealed) rmSync(join(repo.paths.incoming, s), { force: true });
  return sealed.length + unsealed.length;
}
