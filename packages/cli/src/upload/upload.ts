import { pipeline, Transform } from "node:stream";
import { createGzip } from "node:zlib";
import { blobsOf, isSlipwayError, type SlipwayError, withSpec } from "@slipway/core";
import { api, putRaw, type Target } from "../client";
import type { PackedTree } from "./pack";

export interface UploadReport {
  /** Blobs sent, their bytes sent, and what that took on the wire (gzipped). */
  files: number;
  bytes: number;
  wireBytes: number;
  /** Bytes not sent again because the server kept them from a cut upload of the same blob. */
  resumedBytes: number;
  /** Distinct blobs of the tree and its spec, and their bytes: what a whole-tree upload would send. */
  treeFiles: number;
  treeBytes: number;
}

/** Blobs in flight at once: enough to hide a round trip, few enough not to crowd the server. */
const CONCURRENCY = 4;
/** Rounds of "what is missing? send it": a cut connection costs a round, not the upload. */
const ROUNDS = 3;

/**
 * Sends the blobs of `pack` the server does not have yet, `CONCURRENCY` at a time, and
 * reports what was sent. A round that fails on the network is followed by another that asks
 * again what is missing and how much of each blob the server kept, so what already arrived,
 * whole blobs or the start of a big one, is never sent twice.
 */
export async function uploadMissing(
  t: Target,
  pack: PackedTree,
  progress: (line: string) => void,
): Promise<UploadReport> {
  const files = withSpec(pack.tree, pack.spec);
  const size = new Map(files.files.map((f) => [f.sha256, f.size]));
  const report = {
    files: 0,
    bytes: 0,
    wireBytes: 0,
    resumedBytes: 0,
    treeFiles: size.size,
    treeBytes: sum([...size.values()]),
  };
  for (let round = 1; ; round++) {
    const { missing, partial = {} } = await api<{ missing: string[]; partial?: Record<string, number> }>(
      t,
      "POST",
      "/v1/sources/missing",
      { hashes: blobsOf(files) },
    );
    if (missing.length === 0) return report;
    // Where each blob's body starts: after what the server kept of it (a whole one is never kept).
    const from = (h: string) => {
      const kept = partial[h] ?? 0;
      return kept < size.get(h)! ? kept : 0;
    };
    const bytes = sum(missing.map((h) => size.get(h)! - from(h)));
    progress(
      `uploading ${missing.length} of ${report.treeFiles} files (${kb(bytes)} of ${kb(report.treeBytes)})`,
    );
    try {
      await inParallel(missing, CONCURRENCY, async (sha256) => {
        let wire = 0;
        // Counted as it is read (a listener on "data" would start the flow before the request is there).
        const counted = new Transform({
          transform(chunk: Buffer, _enc, done) {
            wire += chunk.length;
            done(null, chunk);
          },
        });
        const total = size.get(sha256)!;
        const start = from(sha256);
        // A read error destroys the last stream too, which fails the request.
        const body = pipeline(pack.open(sha256), skipping(start), createGzip(), counted, () => {});
        // The range makes the upload resumable: a cut leaves the server what arrived.
        const contentRange = total > 0 ? `bytes ${start}-${total - 1}/${total}` : undefined;
        await putRaw(t, `/v1/blobs/${sha256}`, {
          stream: body,
          gzip: true,
          ...(contentRange ? { contentRange } : {}),
        });
        report.files++;
        report.bytes += total - start;
        report.resumedBytes += start;
        report.wireBytes += wire;
      });
    } catch (e) {
      if (round >= ROUNDS || !wasCut(e)) throw e;
      progress(`upload cut (${e.message}); asking what is still missing`);
      // The server may not have seen the cut yet, and still hold the blob's partial open.
      await new Promise((r) => setTimeout(r, 1000 * round));
    }
  }
}

/**
 * A failure another round can get past: the network, the server's "cut, kept N bytes", or
 * "another request is appending to that blob" (the one just cut, before the server noticed).
 */
const wasCut = (e: unknown): e is SlipwayError =>
  isSlipwayError(e) &&
  (e.code === "SLW_SERVER_UNREACHABLE" ||
    e.code === "SLW_CONFLICT" ||
    (e.code === "SLW_BAD_REQUEST" && typeof e.detail?.offset === "number"));

/** Drops the first `n` bytes of a stream: what the server already holds of the blob. */
function skipping(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const skip = Math.min(left, chunk.length);
      left -= skip;
      done(null, skip === chunk.length ? undefined : chunk.subarray(skip));
    },
  });
}

/** Runs `work` on every item, at most `limit` at once; the first failure is thrown once all stopped. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      await work(item).catch((e: unknown) => {
        failed ??= e;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
