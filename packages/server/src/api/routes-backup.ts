import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { BackupOperations } from "../backup/operations";

/**
 * `slipway backup`: listing is a viewer's; taking a backup, restoring into a new instance and
 * drilling are a deployer's (none of them touches the live instance). Each is an audit event.
 */
export function registerBackupRoutes(root: FastifyInstance, ops: BackupOperations): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: { name: string } }) => req.token?.name ?? "anonymous";
  const envParam = z.object({ env: z.string().describe("environment name, e.g. local") });
  const addon = z
    .string()
    .min(1)
    .optional()
    .describe(
      "the postgres add-on (may be left out when there is one), or a redis add-on that keeps snapshots",
    );

  app.get(
    "/v1/environments/:env/backups",
    {
      config: { role: "viewer" },
      schema: {
        params: envParam,
        summary:
          "Backups of each postgres add-on (base backups, the recoverable window, retention, the last drill) and each redis add-on's snapshots",
      },
    },
    async (req) => ops.list(req.params.env),
  );
  app.post(
    "/v1/environments/:env/backups",
    {
      config: { role: "deployer" },
      schema: {
        params: envParam,
        summary: "Take a base backup now (verified after it is taken); for a redis add-on, an RDB snapshot",
        body: z.strictObject({ addon }).default({}),
      },
    },
    async (req) => ops.create(req.params.env, req.body.addon, actor(req)),
  );
  app.post(
    "/v1/environments/:env/backups/restores",
    {
      config: { role: "deployer" },
      schema: {
        params: envParam,
        summary:
          "Restore into a new instance (never over the live one), to a time inside the window or the latest state",
        body: z.strictObject({
          addon,
          to: z
            .string()
            .min(1)
            .describe('"latest", or an ISO time inside the recoverable window, e.g. 2026-11-30T14:05:00Z'),
          switch: z
            .boolean()
            .optional()
            .describe("then switch the environment's add-on to the copy, with a new release (rollout)"),
          confirm: z.boolean().optional().describe("required with switch: true"),
        }),
      },
    },
    async (req) => ops.restoreAny(req.params.env, req.body, actor(req)),
  );
  app.post(
    "/v1/environments/:env/backups/drills",
    {
      config: { role: "deployer" },
      schema: {
        params: envParam,
        summary: "Restore drill: restore the latest state into a scratch copy, verify, measure RPO and RTO",
        body: z.strictObject({ addon }).default({}),
      },
    },
    async (req) => ops.drill(req.params.env, req.body.addon, actor(req)),
  );
}
