import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstatSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
} from "node:fs";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type BackupKey, encryptStream } from "./encryption";

/**
 * Writes `source`, passed through `steps` and encrypted, to `dest`: into a temp file beside it,
 * fsynced, then renamed, so a crash leaves either no file or a whole one. Returns its size.
 */
export async function writeSealed(
  source: Readable,
  steps: Transform[],
  key: BackupKey,
  aad: string,
  dest: string,
): Promise<number> {
  const tmp = `${dest}.${process.pid}.tmp`;
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
    renameSync(tmp, dest);
    return size;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw e;
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
