import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstatSync,
  fsyncSync,
  openSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isSlipwayError } from "@slipway/core";
import type { RunAs } from "../../system/service-user";
import { type BackupKey, corrupt, decryptStream, encryptStream } from "./encryption";
import { locate, type Repo } from "./repository";
import { finished, pipeInto, spawnTool } from "./tools";

/**
 * Writes `source`, passed through `steps` and encrypted, into the repository as `name`: into a
 * temp file in staging/, fsynced, then handed to the store (a rename, or one upload), so a
 * crash leaves either no file or a whole one. Returns its size.
 */
export async function writeSealed(
  source: Readable,
  steps: Transform[],
  key: BackupKey,
  aad: string,
  repo: Repo,
  name: string,
): Promise<number> {
  const tmp = join(repo.paths.staging, `${name.replaceAll("/", "_")}.${process.pid}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await pipeline([
      source,
      ...steps,
      encryptStream(key, aad),
      createWriteStream("", { fd, autoClose: false }),
    ]);
    fsyncSync(fd);
    const size = fstatSync(fd).size;
    closeSync(fd);
    await repo.store.put(name, tmp);
    return size;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Like writeSealed, compressed first by zstd running as `runAs` (what it reads is that user's). Returns the stored size. */
export async function writeCompressedSealed(
  runAs: RunAs | undefined,
  source: Readable,
  key: BackupKey,
  aad: string,
  repo: Repo,
  name: string,
): Promise<number> {
  const zstd = spawnTool("zstd", ["-1", "-q", "-c"], { runAs, stdin: "pipe", stdout: "pipe" });
  const exited = finished(zstd, `compressing ${name} with zstd`, false);
  exited.catch(() => {}); // awaited below
  zstd.stdin!.on("error", () => {}); // EPIPE if zstd dies: its exit says why
  const steps = await Promise.allSettled([
    pipeline(source, zstd.stdin!),
    writeSealed(zstd.stdout!, [], key, aad, repo, name),
  ]);
  await exited;
  for (const step of steps) if (step.status === "rejected") throw step.reason;
  return (steps[1] as PromiseFulfilledResult<number>).value;
}

/**
 * Decrypts the stored `name` and decompresses it into `dest` with zstd running as `runAs` (so
 * the file is that user's). Anything that does not decrypt or decompress is reported as corrupt.
 */
export async function unsealDecompressed(
  runAs: RunAs | undefined,
  repo: Repo,
  key: BackupKey,
  name: string,
  aad: string,
  dest: string,
): Promise<void> {
  const file = locate(repo, name);
  const source = await repo.store.read(name);
  if (!source) throw corrupt(file, "it is missing");
  const zstd = spawnTool("zstd", ["-d", "-q", "-f", "-o", dest], { runAs, stdin: "pipe" });
  try {
    await pipeInto(source, [decryptStream(key, aad, file)], zstd, `unpacking ${name}`);
  } catch (e) {
    if (isSlipwayError(e) && e.code !== "SLW_BACKUP_FAILED") throw e;
    throw corrupt(file, `it does not decompress: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Reads a file in a directory another user controls without following a link planted at its
 * name: the caller gets a stream over a plain file, or undefined.
 */
export function openNoFollow(path: string): Readable | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.nlink !== 1) {
    closeSync(fd);
    return undefined;
  }
  return createReadStream("", { fd });
}
