import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SlipwayError, type TreeManifest } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import type { BlobRange } from "../api/routes-sources";

export interface ReceiveLimits {
  /** A body longer than this is cut off and refused. */
  maxBytes: number;
  /** A body that sends nothing for this long is cut off (a stalled client holds no upload slot). */
  idleMs: number;
}

/**
 * Content-addressed file blobs under the data directory: `blobs/sha256/ab/cdef…`. A blob is
 * there only once its bytes matched its name: it is written to a temp file while hashed and
 * renamed into place only when the hash matches, so a wrong body or a cut connection leaves
 * nothing, and what is present is verified.
 *
 * A body sent with a range is resumable instead: what arrives is appended to
 * `blobs/partial/<sha256>`, which a cut connection leaves in place, so the client sends only
 * the rest next time (`partialBytes` says from where). The blob is still renamed into place
 * only once the whole file hashes to its name. Partials nobody finishes are removed by the
 * garbage collector after a while (gc.ts).
 */
export class BlobStore {
  /** Blobs a ranged body is being appended to now: one writer per partial. */
  private readonly appending = new Set<string>();

  constructor(private readonly dir: string) {}

  get root(): string {
    return this.dir;
  }

  get partialDir(): string {
    return join(this.dir, "partial");
  }

  /** Where all-or-nothing bodies are written before the rename: only a crash leaves one. */
  get tmpDir(): string {
    return join(this.dir, "tmp");
  }

  /** How many bytes of a resumable upload of `sha256` are kept (0: none). */
  partialBytes(sha256: string): number {
    try {
      return statSync(join(this.partialDir, sha256)).size;
    } catch {
      return 0;
    }
  }

  pathOf(sha256: string): string {
    return join(this.dir, "sha256", sha256.slice(0, 2), sha256.slice(2));
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  /**
   * The hashes of `wanted` this store does not have, each once, in order. The ones it has are
   * touched: a client told it need not send them deploys soon, so the collector must not take
   * them in the meantime (it spares anything touched within its grace time).
   */
  missing(wanted: readonly string[]): string[] {
    const now = new Date();
    return [...new Set(wanted)].filter((h) => {
      try {
        utimesSync(this.pathOf(h), now, now);
        return false;
      } catch {
        return true;
      }
    });
  }

  /** Where the manifest of an uploaded tree is kept: which blobs it names, for the collector. */
  treeFile(treeHash: string): string {
    return join(this.dir, "trees", `${treeHash}.json`);
  }

  /** Records (or touches) the manifest of a tree about to be deployed. */
  keepTree(treeHash: string, manifest: TreeManifest): void {
    const file = this.treeFile(treeHash);
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileAtomic(file, JSON.stringify(manifest), 0o600);
    }
  }

  /** Streams `body` in as the blob `sha256`; returns its size and whether it was new. */
  async receive(
    sha256: string,
    body: Readable,
    limits: ReceiveLimits,
  ): Promise<{ bytes: number; stored: boolean }> {
    const tmpDir = this.tmpDir;
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${sha256.slice(0, 12)}-${randomBytes(6).toString("hex")}`);
    const check = verifying(sha256, limits);
    try {
      await pipeline(body, check.stream, createWriteStream(tmp, { flags: "wx", mode: 0o600 })).catch((e) => {
        throw wasCut(e) ? cut(sha256, check.bytes()) : e;
      });
      const got = check.digest();
      if (got !== sha256) throw mismatch(sha256, got);
      const stored = !this.has(sha256);
      syncFile(tmp);
      mkdirSync(dirname(this.pathOf(sha256)), { recursive: true, mode: 0o700 });
      renameSync(tmp, this.pathOf(sha256));
      return { bytes: check.bytes(), stored };
    } finally {
      check.stop();
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Appends `body`, the bytes of blob `sha256` from `range.start` to its end, to the kept
   * partial; stores the blob once the partial is whole and hashes to its name. A cut or a
   * stall keeps what arrived; a body that is too long or whose whole does not match drops it.
   */
  async receiveRange(
    sha256: string,
    body: Readable,
    range: BlobRange,
    limits: ReceiveLimits,
  ): Promise<{ bytes: number; stored: boolean }> {
    if (range.total > limits.maxBytes) throw tooLarge(sha256, limits.maxBytes);
    if (this.has(sha256)) return { bytes: 0, stored: false };
    if (this.appending.has(sha256))
      throw new SlipwayError(
        "SLW_CONFLICT",
        `blob ${sha256} is being uploaded by another request right now`,
        "wait for it to finish, then ask again what is missing; `slipway deploy` does",
      );
    this.appending.add(sha256);
    const partial = join(this.partialDir, sha256);
    const rest = range.total - range.start;
    const check = verifying(sha256, { ...limits, maxBytes: rest }, () => tooLong(sha256, range));
    try {
      let have = this.partialBytes(sha256);
      // Whole yet never stored (a crash before the rename): start over rather than trust it.
      if (have >= range.total) {
        rmSync(partial, { force: true });
        have = 0;
      }
      if (range.start !== have)
        throw new SlipwayError(
          "SLW_CONFLICT",
          `the server holds ${have} bytes of blob ${sha256}, and the body starts at byte ${range.start}: nothing was written`,
          `send the rest from byte ${have}: content-range: bytes ${have}-${range.total - 1}/${range.total}`,
          { offset: have },
        );
      mkdirSync(this.partialDir, { recursive: true, mode: 0o700 });
      await pipeline(body, check.stream, createWriteStream(partial, { flags: "a", mode: 0o600 })).catch(
        (e) => {
          const how = wasCut(e) ? "was cut" : check.stalled() ? "stalled" : undefined;
          if (how) throw kept(sha256, have + check.bytes(), range.total, how);
          rmSync(partial, { force: true });
          throw e;
        },
      );
      const size = have + check.bytes();
      if (size < range.total) throw kept(sha256, size, range.total, "ended");
      const got = await hashOfFile(partial);
      if (got !== sha256) {
        rmSync(partial, { force: true });
        throw mismatch(sha256, got);
      }
      syncFile(partial);
      mkdirSync(dirname(this.pathOf(sha256)), { recursive: true, mode: 0o700 });
      renameSync(partial, this.pathOf(sha256));
      return { bytes: size, stored: true };
    } finally {
      check.stop();
      this.appending.delete(sha256);
    }
  }
}

async function hashOfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const mismatch = (expected: string, got: string) =>
  new SlipwayError(
    "SLW_BLOB_MISMATCH",
    `the body sent for blob ${expected} hashes to ${got}: nothing was stored`,
    "send the file's exact bytes to PUT /v1/blobs/<its sha256>; the CLI does this for you",
    { expected, got },
  );

const tooLarge = (sha256: string, maxBytes: number) =>
  new SlipwayError(
    "SLW_PAYLOAD_TOO_LARGE",
    `the body for blob ${sha256} is over ${maxBytes} bytes, the most one file may have: nothing was stored`,
    "keep files in the source tree under that size (build artifacts and data do not belong in it)",
  );

const tooLong = (sha256: string, range: BlobRange) =>
  new SlipwayError(
    "SLW_BAD_REQUEST",
    `the body for blob ${sha256} runs past its content-range (bytes ${range.start}-${range.total - 1}/${range.total}): nothing of it was kept`,
    "send exactly the bytes the range names; `slipway deploy` does",
  );

/** A resumable body ended early: what arrived is kept, and the answer says where to go on. */
const kept = (sha256: string, have: number, total: number, how: string) =>
  new SlipwayError(
    "SLW_BAD_REQUEST",
    `the body for blob ${sha256} ${how} at byte ${have} of ${total}: those bytes are kept`,
    `send the rest: content-range: bytes ${have}-${total - 1}/${total}; \`slipway deploy\` resumes by itself`,
    { offset: have },
  );

/** A pass-through that hashes and counts what flows, refusing too much and a stall. */
function verifying(sha256: string, limits: ReceiveLimits, over = () => tooLarge(sha256, limits.maxBytes)) {
  const hash = createHash("sha256");
  let bytes = 0;
  let stalled = false;
  let idle: NodeJS.Timeout | undefined;
  const stream: Transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) return done(over());
      hash.update(chunk);
      armIdle();
      done(null, chunk);
    },
  });
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = true;
      stream.destroy(
        new SlipwayError(
          "SLW_BAD_REQUEST",
          `the body for blob ${sha256} stalled for ${limits.idleMs / 1000} s: nothing was stored`,
          "upload again; only the blobs still missing are sent",
        ),
      );
    }, limits.idleMs);
  };
  armIdle();
  return {
    stream,
    digest: () => hash.digest("hex"),
    bytes: () => bytes,
    stalled: () => stalled,
    stop: () => clearTimeout(idle),
  };
}

/** The client went away mid-body: an expected event on a bad network, not a bug. */
const wasCut = (e: unknown) =>
  ["ECONNRESET", "ERR_STREAM_PREMATURE_CLOSE"].includes((e as NodeJS.ErrnoException)?.code ?? "");

const cut = (sha256: string, bytes: number) =>
  new SlipwayError(
    "SLW_BAD_REQUEST",
    `the body for blob ${sha256} was cut after ${bytes} bytes: nothing was stored`,
    "upload again; only the blobs still missing are sent",
  );

/** The blob's bytes reach the disk before its name says it is there. */
function syncFile(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
