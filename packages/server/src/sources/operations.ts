import type { Readable } from "node:stream";
import { TREE_LIMITS } from "@slipway/core";
import type { SourceOperations } from "../api/routes-sources";
import type { Ctx } from "../context";
import { BlobStore } from "./blob-store";

/** A body that sends nothing for this long is cut off; the client resumes with what is missing. */
const IDLE_MS = 30_000;

export function sourceOperations(ctx: Ctx): SourceOperations {
  const blobs = new BlobStore(ctx.paths.blobs);
  return {
    missing: (hashes) => blobs.missing(hashes),
    async receiveBlob(sha256: string, body: Readable, actor: string) {
      const r = await blobs.receive(sha256, body, { maxBytes: TREE_LIMITS.maxFileBytes, idleMs: IDLE_MS });
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
