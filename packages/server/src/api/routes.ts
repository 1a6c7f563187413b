import { TREE_LIMITS, type TreeFile, type TreeManifest } from "@slipway/core";
import type { EventQuery, EventRow, ReleaseRow, Role, RolloutRow, TokenRow } from "@slipway/store";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { tokenState } from "./auth";

/** What the API can ask of the control plane; routes stay thin translations of HTTP. */
export interface Operations {
  status(): Promise<unknown>;
  releases(env: string): Promise<(ReleaseRow & { via: string })[]>;
  /** Deploys a git ref or the working tree of the control plane's project, or an uploaded tree. */
  deploy(
    env: string,
    body: { ref?: string | undefined; tree?: TreeManifest | undefined; spec?: TreeFile | undefined },
    actor: string,
  ): Promise<RolloutRow>;
  rollback(env: string, body: { to?: number | undefined }, actor: string): Promise<RolloutRow>;
  rollout(id: string): Promise<{ rollout: RolloutRow; events: EventRow[] }>;
  /** A page of the event log, newest first. */
  events(q: EventQuery): Promise<EventRow[]>;
  /**
   * Checks the environment and service (throwing a user-fixable error) before anything is
   * sent, then returns the lines to stream.
   */
  logs(
    env: string,
    service: string,
    opts: { lines: number; follow: boolean; signal: AbortSignal; release?: number | undefined },
  ): Promise<AsyncIterable<string>>;
  createToken(
    name: string,
    role: Role,
    expiresInSeconds: number | undefined,
    actor: string,
  ): Promise<{ token: string; row: TokenRow }>;
  tokens(): Promise<TokenRow[]>;
  /** Revokes the token with this id, or the one token with this name. */
  revokeToken(ref: string, actor: string): Promise<TokenRow>;
  down(actor: string): Promise<void>;
}

/** The shape of an uploaded tree; paths, order and limits are checked by core's checkTree. */
const fileSchema = z.strictObject({
  path: z.string().max(4096),
  mode: z.number().int(),
  size: z.number().int(),
  sha256: z.string().max(64),
});
const treeSchema = z.strictObject({ files: z.array(fileSchema).max(TREE_LIMITS.maxFiles) });
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
      // A tree's manifest: up to 20000 files with their paths and hashes.
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: "Build the stack and roll it out as a new release",
        params: envParam,
        body: z.strictObject({
          ref: z.string().min(1).max(200).optional().describe("git ref; default: working tree"),
          tree: treeSchema
            .optional()
            .describe(
              "an uploaded tree (its blobs PUT to /v1/blobs first) instead of a ref or the working tree",
            ),
          spec: fileSchema
            .optional()
            .describe(
              "the spec sent with the tree (its blob PUT first): the release is made from it, and it becomes the stack's spec",
            ),
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
        summary: "The event log (audit trail), newest first; page back with `before`",
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z.coerce.number().int().min(1).optional().describe("only events older than this seq"),
          after: z.coerce.number().int().min(0).default(0).describe("only events newer than this seq"),
          subject: z.string().min(1).max(200).optional().describe("only events about this subject"),
        }),
      },
    },
    async (req) => {
      const events = await ops.events(req.query);
      const last = events.at(-1);
      return {
        events,
        // Where the next (older) page starts, when this one was full.
        ...(last && events.length === req.query.limit ? { nextBefore: last.seq } : {}),
      };
    },
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
      // Awaited before the headers: an unknown environment or service is a 404 problem.
      const iter = await ops.logs(req.params.env, req.query.service, {
        lines: req.query.lines,
        follow: req.query.follow === "true",
        release: req.query.release,
        signal: AbortSignal.any([ac.signal, streams.closing]),
      });
      reply.raw.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      const done = (async () => {
        try {
          for await (const line of iter) reply.raw.write(`${line}\n`);
          reply.raw.end();
        } catch (err) {
          // Too late for a problem response: cut the stream, so the client says it was cut.
          req.log.error({ err }, "log stream failed");
          reply.raw.destroy();
        }
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
          role: z.enum(["viewer", "deployer", "approver", "admin"]),
          expiresInSeconds: z
            .number()
            .int()
            .positive()
            .max(10 * 366 * 86400)
            .optional()
            .describe("the token stops working this many seconds from now; default: never"),
        }),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await ops.createToken(req.body.name, req.body.role, req.body.expiresInSeconds, actor(req))),
  );
  app.get(
    "/v1/tokens",
    { config: { role: "admin" }, schema: { summary: "Tokens with their state (never their text or hash)" } },
    async () => {
      const now = new Date();
      return { tokens: (await ops.tokens()).map((t) => ({ ...t, state: tokenState(t, now) })) };
    },
  );
  app.delete(
    "/v1/tokens/:ref",
    {
      config: { role: "admin" },
      schema: {
        summary: "Revoke a token, named by its id or (when only one token has it) its name",
        params: z.object({ ref: z.string().min(1).max(64) }),
      },
    },
    async (req) => ({ token: await ops.revokeToken(req.params.ref, actor(req)) }),
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
