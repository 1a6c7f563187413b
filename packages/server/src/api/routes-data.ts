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
        summary:
          "Start copying one environment's postgres into another's, masked by the spec's data.mask; 202 with the copy to poll",
        body: z.strictObject({
          from: envName,
          to: envName,
          mask: z.literal(true).describe("always true: there is no unmasked copy"),
          addon: z.string().min(1).max(64).optional().describe("the postgres add-on; default: the only one"),
        }),
      },
    },
    async (req, reply) =>
      reply.code(202).send({
        copy: await ops.copyMasked(
          { from: req.body.from, to: req.body.to, ...(req.body.addon ? { addon: req.body.addon } : {}) },
          req.token?.name ?? "anonymous",
        ),
      }),
  );
  app.get(
    "/v1/data/copies/:id",
    {
      config: { role: "admin" },
      schema: {
        summary: "A masked copy's state and per-table progress (rows copied of the source's total)",
        params: z.object({ id: z.string().min(1).max(64) }),
      },
    },
    async (req) => ({ copy: ops.copy(req.params.id) }),
  );
}
