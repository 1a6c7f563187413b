import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { SlipwayError, TREE_LIMITS } from "@slipway/core";
import type { SourceOperations } from "../api/routes-sources";
import type { Ctx } from "../context";
import { BlobStore } from "./blob-store";
import type { SourceCollector } from "./collector";

/** A body that sends nothing for this long is cut off; the client resumes with what is missing. */
const IDLE_MS = 30_000;

export function sourceOperations(ctx: Ctx, collector: SourceCollector): SourceOperations {
  const blobs = new BlobStore(ctx.paths.blobs);
  return {
    collectGarbage: (actor) => collector.collect(actor),
    missing(hashes) {
      const missing = blobs.missing(hashes);
      const partial: Record<string, number> = {};
      for (const h of missing) {
        const have = blobs.partialBytes(h);
        if (have > 0) partial[h] = have;
      }
      return { missing, partial };
    },
    async receiveBlob(sha256, body, encoding, actor, range) {
      const limits = { maxBytes: TREE_LIMITS.maxFileBytes, idleMs: IDLE_MS };
      const content = decoded(body, encoding);
      const receiving = range
        ? blobs.receiveRange(sha256, content, range, limits)
        : blobs.receive(sha256, content, limits);
      const r = await receiving.catch((e: unknown) => {
        // zlib's own codes (Z_DATA_ERROR…): the client's gzip is broken, not the server.
        if (!(e as NodeJS.ErrnoException)?.code?.startsWith("Z_")) throw e;
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `the body for blob ${sha256} is not valid gzip (${(e as Error).message}): nothing was stored`,
          "send the bytes as they are, or gzipped with content-encoding: gzip",
        );
      });
      if (r.stored)
        await ctx.event({
          kind: "blob.stored",
          subject: sha256,
          actor,
          message: `file blob ${sha256.slice(0, 12)} uploaded (${r.bytes} bytes)`,
          data: { bytes: r.bytes },
        });
      return r;
    },
  };
}

/**
 * The body's content, gunzipped when it was sent gzipped. The size limit and the hash apply
 * to what comes out, so a small body that inflates past the limit is cut off like a big one.
 */
function decoded(body: Readable, encoding: string | undefined): Readable {
  if (encoding === undefined || encoding === "identity") return body;
  if (encoding !== "gzip")
    throw new SlipwayError(
      "SLW_UNSUPPORTED_MEDIA_TYPE",
      `content-encoding ${JSON.stringify(encoding)} is not accepted for a blob`,
      "send the bytes as they are, or gzipped with content-encoding: gzip",
    );
  const gunzip = createGunzip();
  // A cut connection reaches the blob store through the gunzip stream.
  body.once("error", (e) => gunzip.destroy(e));
  return body.pipe(gunzip);
}
