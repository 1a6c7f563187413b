import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { OneOffProcess, PostgresConnection } from "../one-off";

/** What `slipway run` and `slipway psql` ask of the control plane. */
export interface RunOperations {
  /** `readsSecrets`: the caller may receive secret values (admin); others get the env without them. */
  oneOff(
    env: string,
    service: string,
    release: number | undefined,
    actor: string,
    readsSecrets: boolean,
  ): Promise<OneOffProcess>;
  postgresConnection(env: string, addon: string, actor: string): Promise<PostgresConnection>;
}

/**
 * One-off access for `slipway run` and `slipway psql`: the answers hold add-on passwords, so
 * they need the deployer role, are audited (who, which service or add-on; never the values)
 * and are POSTs (never cached, never in an access log's query string). The CLI spawns the
 * process on this machine; the control plane never runs a user's argv itself.
 */
export function registerRunRoutes(root: FastifyInstance, ops: RunOperations): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: { name: string } }) => req.token?.name ?? "anonymous";
  // Secret values are the admin's to read (see routes-secrets.ts), in a one-off's env too.
  const envParam = z.object({ env: z.string().describe("environment name, e.g. local") });

  app.post(
    "/v1/environments/:env/one-off",
    {
      config: { role: "deployer" },
      schema: {
        summary: "A service's environment, build directory and user, to run a one-off process with",
        params: envParam,
        body: z.strictObject({
          service: z.string().min(1).max(64),
          release: z.number().int().positive().optional().describe("release number; default: the live one"),
        }),
      },
    },
    async (req) =>
      ops.oneOff(req.params.env, req.body.service, req.body.release, actor(req), req.token?.role === "admin"),
  );
  app.post(
    "/v1/environments/:env/addons/:addon/connection",
    {
      config: { role: "deployer" },
      schema: {
        summary: "How to connect to a postgres add-on as the application role (for psql)",
        params: envParam.extend({ addon: z.string().min(1).max(64) }),
      },
    },
    async (req) => ops.postgresConnection(req.params.env, req.params.addon, actor(req)),
  );
}
