import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { autoDeployPolicy } from "../promotion/auto-deploy-policy";
import type { environmentViews } from "../promotion/environment-views";
import type { Promotions } from "../promotion/promotion-ops";

export interface PromotionRouteOps {
  promotions: Promotions;
  views: ReturnType<typeof environmentViews>;
  autoDeploy: ReturnType<typeof autoDeployPolicy>;
}

/**
 * Environments and promotion: promote (deployer), approve and reject (approver), hold lift
 * (deployer), auto-deploy on or off (admin), manifest and diff (viewer).
 */
export function registerPromotionRoutes(root: FastifyInstance, ops: PromotionRouteOps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: { name: string } }) => req.token?.name ?? "anonymous";
  const envName = z.string().min(1).max(64);
  const idParam = z.object({ id: z.string().min(1).max(64) });

  app.post(
    "/v1/promotions",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Release the build live in `from` (or its release `release`) into `to`, under `to`'s rule",
        body: z.strictObject({
          from: envName,
          to: envName,
          release: z.number().int().positive().optional().describe("release number in `from`; default: live"),
        }),
      },
    },
    async (req, reply) => {
      const r = await ops.promotions.promote(
        req.body.from,
        req.body.to,
        { release: req.body.release },
        actor(req),
      );
      return reply.code(r.rollout ? 202 : 201).send(r);
    },
  );
  app.get(
    "/v1/promotions",
    { config: { role: "viewer" }, schema: { summary: "Promotions, newest first" } },
    async () => ({ promotions: await ops.promotions.list() }),
  );
  app.post(
    "/v1/promotions/:id/approve",
    {
      config: { role: "approver" },
      schema: { summary: "Approve a promotion awaiting approval; it is released", params: idParam },
    },
    async (req, reply) => reply.code(202).send(await ops.promotions.approve(req.params.id, actor(req))),
  );
  app.post(
    "/v1/promotions/:id/reject",
    {
      config: { role: "approver" },
      schema: {
        summary: "Reject a promotion awaiting approval, and its build: it is never promoted again",
        params: idParam,
        body: z.strictObject({ reason: z.string().min(1).max(500) }),
      },
    },
    async (req) => ops.promotions.reject(req.params.id, req.body.reason, actor(req)),
  );
  app.delete(
    "/v1/environments/:env/hold",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Lift the hold a hand promotion set: auto-deploy deploys here again",
        params: z.object({ env: envName }),
      },
    },
    async (req) => {
      await ops.promotions.liftHold(req.params.env, actor(req));
      return { env: req.params.env, held: false };
    },
  );
  app.put(
    "/v1/environments/:env/autodeploy",
    {
      config: { role: "admin" },
      schema: {
        summary: "Turn auto-deploy from the spec's branch on or off for an environment",
        params: z.object({ env: envName }),
        body: z.strictObject({
          enabled: z.boolean(),
          repo: z
            .string()
            .min(1)
            .max(1000)
            .optional()
            .describe("git repository to watch (path or URL); default: the project's"),
        }),
      },
    },
    async (req) =>
      req.body.enabled
        ? ops.autoDeploy.enable(req.params.env, req.body.repo, actor(req))
        : ops.autoDeploy.disable(req.params.env, actor(req)),
  );
  app.get(
    "/v1/environments/:env/manifest",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The deployment manifest: version, services with url and commit, infrastructure",
        params: z.object({ env: envName }),
      },
    },
    async (req) => ops.views.manifest(req.params.env),
  );
  app.get(
    "/v1/environments/:env/diff/:other",
    {
      config: { role: "viewer" },
      schema: {
        summary: "What differs between two environments: build, config keys (never values), scale, strategy",
        params: z.object({ env: envName, other: envName }),
      },
    },
    async (req) => ops.views.diff(req.params.env, req.params.other),
  );
}
