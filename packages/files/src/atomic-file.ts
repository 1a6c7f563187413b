import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `file` so that a reader (another process, or us after a crash) sees the old
 * content or the new, never a torn mix: write a temp file beside it, fsync it, rename it
 * over, fsync the directory so the rename itself survives a power cut. The temp file is
 * created exclusively and never follows a symlink, and its mode and `owner` are set through its
 * descriptor, so this is also how root writes into a directory another user controls: whatever
 * that user put at `file` (a symlink to a root-owned file) is replaced, never written through.
 */
export function writeFileAtomic(
  file: string,
  data: string,
  mode = 0o644,
  owner?: { uid: number; gid: number },
): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    fchmodSync(fd, mode); // the umask does not get a say
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
