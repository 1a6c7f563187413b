import type { TokenRow } from "@slipway/store";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { FlagOperations, FlagsSnapshot } from "../flags";

const envParam = z.object({ env: z.string().describe("environment name, e.g. local") });
const flagParams = envParam.extend({ name: z.string().min(1).max(64).describe("flag name") });

/** A comment line every so often keeps proxies from closing an idle stream and finds dead clients. */
const HEARTBEAT_MS = 15_000;

/** Feature flags: list, set (deployer; an audit event each), history, and the SSE stream services follow. */
export function registerFlagRoutes(root: FastifyInstance, ops: FlagOperations): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: TokenRow }) => req.token?.name ?? "anonymous";
  app.get(
    "/v1/environments/:env/flags",
    { config: { role: "viewer" }, schema: { params: envParam, summary: "Flags and their state" } },
    async (req) => ops.list(req.params.env),
  );
  app.put(
    "/v1/environments/:env/flags/:name",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Set a flag: on/off, a sticky percentage rollout, an allow-list; running services follow",
        params: flagParams,
        body: z.strictObject({
          on: z.boolean(),
          percent: z.number().min(0).max(100).optional().describe("share of keys that get it; default all"),
          allow: z
            .array(z.string().min(1).max(200))
            .max(1000)
            .optional()
            .describe("keys that always get it when on"),
        }),
      },
    },
    async (req) => {
      const { on, percent, allow } = req.body;
      const state = { on, ...(percent !== undefined ? { percent } : {}), ...(allow ? { allow } : {}) };
      return ops.set(req.params.env, req.params.name, state, actor(req));
    },
  );
  app.get(
    "/v1/environments/:env/flags/:name/history",
    { config: { role: "viewer" }, schema: { params: flagParams, summary: "A flag's changes, newest first" } },
    async (req) => ({ changes: await ops.history(req.params.env, req.params.name) }),
  );

  const open = new Set<() => void>();
  root.addHook("preClose", async () => {
    for (const end of open) end();
  });
  app.get(
    "/v1/environments/:env/flags/stream",
    {
      config: {
        role: "viewer",
        runtimeToken: (token, req) => ops.isRuntimeToken((req.params as { env: string }).env, token),
      },
      schema: {
        params: envParam,
        summary:
          "Server-sent events: the environment's flags on connect and after every change (services' runtime token or a viewer token)",
      },
    },
    async (req, reply) => {
      // Before the headers: an unknown environment is a 404 problem, not an empty stream.
      const first = await ops.list(req.params.env);
      reply.hijack();
      reply.raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      const send = (s: FlagsSnapshot) => reply.raw.write(`event: flags\ndata: ${JSON.stringify(s)}\n\n`);
      const unsubscribe = ops.subscribe(req.params.env, send);
      send(first);
      const heartbeat = setInterval(() => reply.raw.write(": ping\n\n"), HEARTBEAT_MS);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(end);
        reply.raw.end();
      };
      open.add(end);
      // The response's close: the client went away (or we ended it).
      reply.raw.on("close", end);
    },
  );
}
