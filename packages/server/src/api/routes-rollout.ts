import type { TokenRow } from "@slipway/store";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RolloutControls } from "../rollout/controls";

const envName = z.string().min(1).max(64).describe("environment name, e.g. prod");
const command = z.enum(["pause", "resume", "promote", "abort"]).describe("what to do with the rollout");

/**
 * A rollout's controls (deployer; an audit event each) and its timeline (viewer): every step
 * and every judgement with its numbers.
 */
export function registerRolloutRoutes(root: FastifyInstance, ops: RolloutControls): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: TokenRow }) => req.token?.name ?? "anonymous";
  app.post(
    "/v1/environments/:env/rollout/:command",
    {
      config: { role: "deployer" },
      schema: {
        summary:
          "Pause, resume, promote or abort the rollout in flight in the environment (abort until the switch; the others while analysed)",
        params: z.object({ env: envName, command }),
      },
    },
    async (req, reply) =>
      reply
        .code(202)
        .send({ rollout: await ops.command({ env: req.params.env }, req.params.command, actor(req)) }),
  );
  app.post(
    "/v1/rollouts/:id/:command",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Pause, resume, promote or abort a rollout by id",
        params: z.object({ id: z.string().min(1).max(64), command }),
      },
    },
    async (req, reply) =>
      reply
        .code(202)
        .send({ rollout: await ops.command({ id: req.params.id }, req.params.command, actor(req)) }),
  );
  app.get(
    "/v1/environments/:env/rollout",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The environment's rollout in flight (else its latest) and its timeline",
        params: z.object({ env: envName }),
      },
    },
    async (req) => ops.latest(req.params.env),
  );
  app.get(
    "/v1/rollouts/:id/timeline",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Every step and judgement of a rollout, with its numbers",
        params: z.object({ id: z.string().min(1).max(64) }),
      },
    },
    async (req) => ops.timeline(req.params.id),
  );
}
