import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SlipwayError } from "@slipway/core";

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
 */
export class BlobStore {
  constructor(private readonly dir: string) {}

  pathOf(sha256: string): string {
    return join(this.dir, "sha256", sha256.slice(0, 2), sha256.slice(2));
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  /** The hashes of `wanted` this store does not have, each once, in order. */
  missing(wanted: readonly string[]): string[] {
    return [...new Set(wanted)].filter((h) => !this.has(h));
  }

  /** Streams `body` in as the blob `sha256`; returns its size and whether it was new. */
  async receive(
    sha256: string,
    body: Readable,
    limits: ReceiveLimits,
  ): Promise<{ bytes: number; stored: boolean }> {
    const tmpDir = join(this.dir, "tmp");
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${sha256.slice(0, 12)}-${randomBytes(6).toString("hex")}`);
    const check = verifying(sha256, limits);
    try {
      await pipeline(body, check.stream, createWriteStream(tmp, { flags: "wx", mode: 0o600 })).catch((e) => {
        throw wasCut(e) ? cut(sha256, check.bytes()) : e;
      });
      const got = check.digest();
      if (got !== sha256)
        throw new SlipwayError(
          "SLW_BLOB_MISMATCH",
          `the body sent for blob ${sha256} hashes to ${got}: nothing was stored`,
          "send the file's exact bytes to PUT /v1/blobs/<its sha256>; the CLI does this for you",
          { expected: sha256, got },
        );
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
}

/** A pass-through that hashes and counts what flows, refusing too much and a stall. */
function verifying(sha256: string, limits: ReceiveLimits) {
  const hash = createHash("sha256");
  let bytes = 0;
  let idle: NodeJS.Timeout | undefined;
  const stream: Transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes)
        return done(
          new SlipwayError(
            "SLW_PAYLOAD_TOO_LARGE",
            `the body for blob ${sha256} is over ${limits.maxBytes} bytes, the most one file may have: nothing was stored`,
            "keep files in the source tree under that size (build artifacts and data do not belong in it)",
          ),
        );
      hash.update(chunk);
      armIdle();
      done(null, chunk);
    },
  });
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        stream.destroy(
          new SlipwayError(
            "SLW_BAD_REQUEST",
            `the body for blob ${sha256} stalled for ${limits.idleMs / 1000} s: nothing was stored`,
            "upload again; only the blobs still missing are sent",
          ),
        ),
      limits.idleMs,
    );
  };
  armIdle();
  return {
    stream,
    digest: () => hash.digest("hex"),
    bytes: () => bytes,
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
