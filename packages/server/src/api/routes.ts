import type { EventRow, ReleaseRow, Role, RolloutRow, TokenRow } from "@slipway/store";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";

/** What the API can ask of the control plane; routes stay thin translations of HTTP. */
export interface Operations {
  status(): Promise<unknown>;
  releases(env: string): Promise<ReleaseRow[]>;
  deploy(env: string, body: { ref?: string | undefined }, actor: string): Promise<RolloutRow>;
  rollback(env: string, body: { to?: number | undefined }, actor: string): Promise<RolloutRow>;
  rollout(id: string): Promise<{ rollout: RolloutRow; events: EventRow[] }>;
  events(after: number, subject?: string): Promise<EventRow[]>;
  logs(
    env: string,
    service: string,
    opts: { lines: number; follow: boolean; signal: AbortSignal; release?: number | undefined },
  ): AsyncIterable<string>;
  createToken(name: string, role: Role, actor: string): Promise<{ token: string; row: TokenRow }>;
  tokens(): Promise<TokenRow[]>;
  down(actor: string): Promise<void>;
}

const envParam = z.object({ env: z.string().describe("environment name, e.g. local") });
const rolloutSchema = z.looseObject({ id: z.string(), phase: z.string(), kind: z.string() });

/** Long-lived responses (log streams) and the signal that the server is closing. */
export interface Streams {
  closing: AbortSignal;
  track(done: Promise<unknown>): void;
}

export function registerRoutes(root: FastifyInstance, ops: Operations, streams: Streams): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: TokenRow }) => req.token?.name ?? "anonymous";

  app.get(
    "/v1/status",
    { config: { role: "viewer" }, schema: { summary: "Environments, releases, processes, add-ons, URLs" } },
    async () => ops.status(),
  );
  app.get(
    "/v1/environments/:env/releases",
    { config: { role: "viewer" }, schema: { params: envParam, summary: "Releases, newest first" } },
    async (req) => ({ releases: await ops.releases(req.params.env) }),
  );
  app.post(
    "/v1/environments/:env/deploys",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Build the stack and roll it out as a new release",
        params: envParam,
        body: z.strictObject({
          ref: z.string().min(1).max(200).optional().describe("git ref; default: working tree"),
        }),
        response: { 202: z.object({ rollout: rolloutSchema }) },
      },
    },
    async (req, reply) =>
      reply.code(202).send({ rollout: { ...(await ops.deploy(req.params.env, req.body, actor(req))) } }),
  );
  app.post(
    "/v1/environments/:env/rollbacks",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Make a new release from an earlier one (its build and config) and roll it out",
        params: envParam,
        body: z.strictObject({
          to: z.number().int().positive().optional().describe("release number; default: previous"),
        }),
        response: { 202: z.object({ rollout: rolloutSchema }) },
      },
    },
    async (req, reply) =>
      reply.code(202).send({ rollout: { ...(await ops.rollback(req.params.env, req.body, actor(req))) } }),
  );
  app.get(
    "/v1/rollouts/:id",
    {
      config: { role: "viewer" },
      schema: { params: z.object({ id: z.string() }), summary: "A rollout and its events" },
    },
    async (req) => ops.rollout(req.params.id),
  );
  app.get(
    "/v1/events",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The event log (audit trail), oldest first",
        querystring: z.object({
          after: z.coerce.number().int().min(0).default(0),
          subject: z.string().optional(),
        }),
      },
    },
    async (req) => ({ events: await ops.events(req.query.after, req.query.subject) }),
  );
  app.get(
    "/v1/environments/:env/logs",
    {
      config: { role: "viewer" },
      schema: {
        summary: "A service's logs as text; follow=true streams new lines",
        params: envParam,
        querystring: z.object({
          service: z.string(),
          lines: z.coerce.number().int().min(0).max(10000).default(100),
          follow: z.enum(["true", "false"]).default("false"),
          release: z.coerce.number().int().positive().optional().describe("default: the live release"),
        }),
      },
    },
    async (req, reply) => {
      const ac = new AbortController();
      req.raw.on("close", () => ac.abort());
      const iter = ops.logs(req.params.env, req.query.service, {
        lines: req.query.lines,
        follow: req.query.follow === "true",
        release: req.query.release,
        signal: AbortSignal.any([ac.signal, streams.closing]),
      });
      reply.raw.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      const done = (async () => {
        for await (const line of iter) reply.raw.write(`${line}\n`);
        reply.raw.end();
      })();
      streams.track(done);
      await done;
      return reply;
    },
  );
  app.post(
    "/v1/tokens",
    {
      config: { role: "admin" },
      schema: {
        summary: "Create a token; its text is returned once",
        body: z.strictObject({
          name: z.string().min(1).max(64),
          role: z.enum(["viewer", "deployer", "admin"]),
        }),
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ops.createToken(req.body.name, req.body.role, actor(req))),
  );
  app.get(
    "/v1/tokens",
    { config: { role: "admin" }, schema: { summary: "Tokens (never their text)" } },
    async () => ({
      tokens: await ops.tokens(),
    }),
  );
  app.post(
    "/v1/down",
    {
      config: { role: "admin" },
      schema: { summary: "Stop every process, the edge and the add-ons; then the control plane exits" },
    },
    async (req, reply) => {
      await ops.down(actor(req));
      return reply.code(202).send({ ok: true });
    },
  );
}
