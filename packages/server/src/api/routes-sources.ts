import type { Readable } from "node:stream";
import { SHA256_HEX, SlipwayError, TREE_LIMITS } from "@slipway/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { GcReport } from "../sources/gc";

/** A resumable blob body: the blob's bytes from `start` to its end, `total` bytes in all. */
export interface BlobRange {
  start: number;
  total: number;
}

/** What uploading a source tree asks of the control plane (see sources/operations.ts). */
export interface SourceOperations {
  /** The blobs not here, and how many bytes of each a cut resumable upload left (when any). */
  missing(hashes: string[]): { missing: string[]; partial: Record<string, number> };
  /**
   * `encoding`: the body's content-encoding, if any (gzip). `range`: the body is the blob's
   * bytes from `start` on, appended to what an earlier, cut upload left (see BlobStore).
   */
  receiveBlob(
    sha256: string,
    body: Readable,
    encoding: string | undefined,
    actor: string,
    range?: BlobRange,
  ): Promise<{ bytes: number; stored: boolean }>;
  /** Removes the blobs, trees and partial uploads nothing needs any more; says what was freed. */
  collectGarbage(actor: string): Promise<GcReport>;
}

/** `content-range: bytes START-END/TOTAL` of a resumable blob body: it must run to the end. */
function blobRange(header: string | undefined): BlobRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  const [start, end, total] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (start === undefined || end === undefined || total === undefined || start > end || end !== total - 1)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `content-range: ${JSON.stringify(header)} is not bytes START-END/TOTAL running to the blob's end`,
      "send content-range: bytes START-(TOTAL-1)/TOTAL, START being what POST /v1/sources/missing says is kept (0 if nothing), or no content-range for an all-or-nothing upload",
    );
  return { start, total };
}

const sha256 = z.string().regex(SHA256_HEX, "a SHA-256 in 64 lowercase hex digits");

/**
 * Source upload by content: the client asks which file blobs the server lacks, then PUTs
 * each as a raw body under its SHA-256 (verified while written; see BlobStore). Deployer
 * role: a viewer may neither upload nor probe which contents the server holds. The deploy of
 * the tree is `POST /v1/environments/:env/deploys` with `{ tree }`.
 */
export function registerSourceRoutes(root: FastifyInstance, ops: SourceOperations): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    "/v1/sources/missing",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Which of these file blobs (SHA-256) the server does not have yet",
        body: z.strictObject({ hashes: z.array(sha256).max(TREE_LIMITS.maxFiles) }),
      },
      bodyLimit: 4 * 1024 * 1024,
    },
    async (req) => ops.missing(req.body.hashes),
  );
  app.post(
    "/v1/sources/gc",
    {
      config: { role: "admin" },
      schema: {
        summary:
          "Remove the uploaded blobs, trees and partial uploads no kept release, rollout in flight or recent upload needs; answers what was freed",
      },
    },
    async (req) => ops.collectGarbage(req.token?.name ?? "anonymous"),
  );
  // Raw bodies only here: the stream is handed to the blob store as it arrives.
  void root.register(async (scope) => {
    scope.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));
    scope.withTypeProvider<ZodTypeProvider>().put(
      "/v1/blobs/:sha256",
      {
        config: { role: "deployer" },
        schema: {
          summary:
            "Upload one file blob, its raw bytes (application/octet-stream, optionally content-encoding: gzip) under their SHA-256; with content-range (of the content), resumable after a cut",
          params: z.object({ sha256 }),
        },
      },
      async (req, reply) => {
        const declared = Number(req.headers["content-length"] ?? Number.NaN);
        if (declared > TREE_LIMITS.maxFileBytes)
          throw new SlipwayError(
            "SLW_PAYLOAD_TOO_LARGE",
            `a blob of ${declared} bytes is over ${TREE_LIMITS.maxFileBytes}, the most one file may have`,
            "keep files in the source tree under that size",
          );
        const body = req.body as Readable | undefined;
        if (!body)
          throw new SlipwayError(
            "SLW_BAD_REQUEST",
            "no body: send the file's bytes as application/octet-stream",
          );
        // A client that goes away mid-body must end the upload now (its temp file removed),
        // whichever way the socket closes (a half-close included), not at the idle timeout.
        const raw = req.raw;
        const cutOff = () => {
          if (!raw.complete)
            raw.destroy(Object.assign(new Error("the client went away mid-body"), { code: "ECONNRESET" }));
        };
        raw.socket.once("end", cutOff).once("close", cutOff);
        try {
          const encoding = req.headers["content-encoding"];
          const range = blobRange(req.headers["content-range"]);
          const actor = req.token?.name ?? "anonymous";
          const r = await ops.receiveBlob(req.params.sha256, body, encoding, actor, range);
          return reply.code(r.stored ? 201 : 200).send({ sha256: req.params.sha256, ...r });
        } finally {
          raw.socket.off("end", cutOff).off("close", cutOff);
        }
      },
    );
  });
}
