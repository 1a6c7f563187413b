import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from "node:fs";

/**
 * Running as root, Slipway writes and reads files inside directories that the unprivileged
 * add-on user owns (a Postgres data directory must belong to the user Postgres runs as). That
 * user can put a symlink, a hard link or a FIFO at any name there, so root must never resolve
 * the last component of such a path: every open here uses O_NOFOLLOW (the directory itself sits
 * in a root-owned parent, so only the last component is the other user's), O_NONBLOCK (a FIFO
 * cannot hang us), and checks through the descriptor that it got a regular file with one link.
 * Ownership and mode are set through the descriptor too, never by path. Whole files are
 * replaced with writeFileAtomic (atomic-file.ts), which follows the same rules.
 */

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Opens `path` for appending (created with `mode` when absent) without following a link at it.
 * Anything but a plain file with a single link at that name (a planted symlink, hard link, FIFO)
 * is removed and a fresh file made in its place. Returns the descriptor, for a child's stdio.
 */
export function openAppendNoFollow(path: string, mode: number, owner?: Owner): number {
  let fd = tryOpen(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, mode);
  if (fd === undefined || !isPlainFile(fd)) {
    if (fd !== undefined) closeSync(fd);
    unlinkSync(path);
    fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode);
  }
  try {
    if (owner) fchownSync(fd, owner.uid, owner.gid);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Appends `text` to `path` without following a link at it (see openAppendNoFollow). */
export function appendFileNoFollow(path: string, text: string, mode: number, owner?: Owner): void {
  const fd = openAppendNoFollow(path, mode, owner);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `maxBytes` of `path` as UTF-8, or undefined when it is absent or not a plain file
 * with a single link: a link planted there is never read through, so its target cannot leak
 * into an error message or a log.
 */
export function readFileNoFollow(path: string, maxBytes = 1 << 20): string | undefined {
  const fd = tryOpen(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd === undefined) return undefined;
  try {
    if (!isPlainFile(fd)) return undefined;
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    const read = readSync(fd, buf, 0, length, size - length);
    return buf.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** undefined when the name is absent or is a symlink (ELOOP) or a FIFO without a reader (ENXIO). */
function tryOpen(path: string, flags: number, mode: number): number | undefined {
  try {
    return openSync(path, flags, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP" || code === "ENXIO") return undefined;
    throw e;
  }
}

function isPlainFile(fd: number): boolean {
  const st = fstatSync(fd);
  return st.isFile() && st.nlink === 1;
}
