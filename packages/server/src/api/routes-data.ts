import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { dataOperations } from "../data/masked-copy";

/**
 * Data between environments. A masked copy is admin only: it reads every row of the source
 * (usually prod) and replaces every row of the target, a data owner's decision; a deployer
 * token lives in CI, and a leaked one must not move production data anywhere.
 */
export function registerDataRoutes(root: FastifyInstance, ops: ReturnType<typeof dataOperations>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const envName = z.string().min(1).max(64);
  app.post(
    "/v1/data/copy",
    {
      config: { role: "admin" },
      schema: {
        summary: "Copy one environment's postgres into another's, masked by the spec's data.mask",
        body: z.strictObject({
          from: envName,
          to: envName,
          mask: z.literal(true).describe("always true: there is no unmasked copy"),
          addon: z.string().min(1).max(64).optional().describe("the postgres add-on; default: the only one"),
        }),
      },
    },
    async (req) =>
      ops.copyMasked(
        { from: req.body.from, to: req.body.to, ...(req.body.addon ? { addon: req.body.addon } : {}) },
        req.token?.name ?? "anonymous",
      ),
  );
}
