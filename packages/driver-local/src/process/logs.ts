import { constants } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { setTimeout as sleep } from "node:timers/promises";

export interface ReadLogOptions {
  /** How many lines from the end to start with; Infinity for the whole file. @default 100 */
  lines?: number;
  /** Keep yielding lines as they are appended until `signal` aborts. @default false */
  follow?: boolean;
  signal?: AbortSignal;
  /** How often a follower looks for new data. @default 250 */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * The lines of a service log, for `slipway logs <service> [-f]`. Without `follow`, a missing
 * file yields nothing. A follower waits for the file to appear, starts again from the top
 * when the file is truncated or replaced (log rotation), and only yields complete lines.
 *
 * @example for await (const line of readLog(spec.logFile, { lines: 50, follow: true, signal })) print(line);
 */
export async function* readLog(logFile: string, opts: ReadLogOptions = {}): AsyncGenerator<string> {
  const { lines = 100, follow = false, signal, pollMs = 250 } = opts;
  let file = await openIfExists(logFile);
  // Bytes read but not yet yielded: a line still being written, and half a UTF-8 character.
  let pending = newPending();
  let offset = 0;
  try {
    if (file) {
      offset = (await file.stat()).size;
      yield* readLines(file, await tailStart(file, offset, lines), offset, pending);
    }
    if (!follow) {
      const last = pending.partial + pending.decoder.end();
      if (last !== "") yield last;
      return;
    }
    while (await pause(pollMs, signal)) {
      const now = await statIfExists(logFile);
      if (!now) continue;
      if (!file || now.ino !== (await file.stat()).ino || now.size < offset) {
        await file?.close();
        file = await openIfExists(logFile);
        offset = 0;
        pending = newPending();
        if (!file) continue;
      }
      const size = (await file.stat()).size;
      yield* readLines(file, offset, size, pending);
      offset = size;
    }
  } finally {
    await file?.close();
  }
}

interface Pending {
  decoder: StringDecoder;
  partial: string;
}

function newPending(): Pending {
  return { decoder: new StringDecoder("utf8"), partial: "" };
}

/** Byte offset where the last `count` lines begin; a final newline ends a line, not starts one. */
async function tailStart(file: FileHandle, size: number, count: number): Promise<number> {
  if (count <= 0) return size;
  if (!Number.isFinite(count)) return 0;
  let seen = 0;
  let end = size - 1; // skip the newline that ends the last line
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const buf = await readRange(file, start, end);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] === 0x0a && ++seen === count) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** Yields the complete lines in [from, to); what is left of the last one stays in `pending`. */
async function* readLines(
  file: FileHandle,
  from: number,
  to: number,
  pending: Pending,
): AsyncGenerator<string> {
  for (let pos = from; pos < to; pos += CHUNK) {
    const buf = await readRange(file, pos, Math.min(to, pos + CHUNK));
    const parts = (pending.partial + pending.decoder.write(buf)).split("\n");
    pending.partial = parts.pop() ?? "";
    yield* parts;
  }
}

async function readRange(file: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.alloc(end - start);
  const { bytesRead } = await file.read(buf, 0, buf.length, start);
  return buf.subarray(0, bytesRead);
}

/** Resolves false when aborted, so followers end quietly rather than throw AbortError. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** A link at the log's name is never read through (it would show its target to a viewer). */
async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP") return undefined;
    throw e;
  }
}

async function statIfExists(path: string): Promise<{ ino: number; size: number } | undefined> {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}
