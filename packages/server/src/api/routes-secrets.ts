import { SECRET_NAME_PATTERN } from "@slipway/spec";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { SecretOperations } from "../secrets/operations";
import type { SecretStreams } from "../secrets/stream";

/** A comment line every so often keeps proxies from closing an idle stream and finds dead clients. */
const HEARTBEAT_MS = 15_000;

/** Certificates and keys fit; anything larger is not a secret value. */
const MAX_VALUE = 64 * 1024;

/**
 * `slipway secrets`: listing and history show versions and dates, never values (sealed or
 * not); writing needs the deployer role; reading a value (`get`) is its own capability, the
 * admin role's, and every read is an audit event. Values travel only in POST bodies, never
 * in a URL (which access logs keep).
 */
export function registerSecretRoutes(
  root: FastifyInstance,
  ops: SecretOperations,
  streams: SecretStreams,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const actor = (req: { token?: { name: string } }) => req.token?.name ?? "anonymous";
  const envParam = z.object({ env: z.string().describe("environment name, e.g. local") });
  const nameParam = envParam.extend({
    name: z
      .string()
      .regex(SECRET_NAME_PATTERN, "a secret name is an env var name in capitals, e.g. JWT_SECRET"),
  });
  const value = z.string().min(1).max(MAX_VALUE);

  app.get(
    "/v1/environments/:env/secrets",
    {
      config: { role: "viewer" },
      schema: {
        params: envParam,
        summary: "Secrets: versions, rotation status, what is published (never values)",
      },
    },
    async (req) => ({ secrets: await ops.list(req.params.env) }),
  );
  app.get(
    "/v1/environments/:env/secrets/:name/versions",
    {
      config: { role: "viewer" },
      schema: { params: nameParam, summary: "A secret's versions (never values)" },
    },
    async (req) => ({ versions: await ops.history(req.params.env, req.params.name) }),
  );
  app.post(
    "/v1/environments/:env/secrets/:name/read",
    {
      config: { role: "admin" },
      schema: {
        params: nameParam,
        summary: "A secret's value (admin only; every read is an audit event)",
        body: z.strictObject({ version: z.number().int().positive().optional() }),
      },
    },
    async (req) => ops.get(req.params.env, req.params.name, req.body.version, actor(req)),
  );
  app.put(
    "/v1/environments/:env/secrets/:name",
    {
      config: { role: "deployer" },
      schema: {
        params: nameParam,
        summary: "Set a declared secret: a new version; services using it restart onto it",
        body: z.strictObject({ value }),
      },
    },
    async (req) => ops.set(req.params.env, req.params.name, req.body.value, actor(req)),
  );
  app.post(
    "/v1/environments/:env/secrets/:name/rotations",
    {
      config: { role: "deployer" },
      schema: {
        params: nameParam,
        summary:
          "Rotate: a new version (generated when no value is given), published with the old one as NAME_PREVIOUS for the overlap",
        body: z.strictObject({ value: value.optional() }),
      },
    },
    async (req) => ops.rotate(req.params.env, req.params.name, req.body.value, actor(req)),
  );
  app.post(
    "/v1/environments/:env/secrets/import",
    {
      config: { role: "deployer" },
      schema: {
        params: envParam,
        summary:
          "Set many declared secrets at once (from a .env file); undeclared names are skipped and listed",
        body: z.strictObject({
          values: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value),
        }),
      },
    },
    async (req) => ops.import(req.params.env, req.body.values, actor(req)),
  );

  const open = new Set<() => void>();
  root.addHook("preClose", async () => {
    for (const end of open) end();
  });
  app.get(
    "/v1/environments/:env/secrets/stream/:service",
    {
      config: {
        // A service's own runtime token, or an admin (who may read values anyway).
        role: "admin",
        runtimeToken: (token, req) => {
          const p = req.params as { env: string; service: string };
          return streams.isRuntimeToken(p.env, p.service, token);
        },
      },
      schema: {
        params: envParam.extend({ service: z.string().min(1).max(64) }),
        summary:
          "Server-sent events: the values of the service's secrets (current and, during an overlap, previous) on connect and after every rotation; each delivery is audited",
      },
    },
    async (req, reply) => {
      let stop: (() => void) | undefined;
      let ended = false;
      let heartbeat: NodeJS.Timeout | undefined;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        stop?.();
        open.delete(end);
        reply.raw.end();
      };
      // The first delivery before the headers: an unknown environment is a 404 problem.
      let first: Record<string, unknown> | undefined;
      stop = await streams.follow(req.params.env, req.params.service, (secrets) => {
        if (!first) first = secrets;
        else reply.raw.write(`event: secrets\ndata: ${JSON.stringify({ secrets })}\n\n`);
      });
      reply.hijack();
      reply.raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      reply.raw.write(`event: secrets\ndata: ${JSON.stringify({ secrets: first ?? {} })}\n\n`);
      heartbeat = setInterval(() => reply.raw.write(": ping\n\n"), HEARTBEAT_MS);
      open.add(end);
      reply.raw.on("close", end);
    },
  );
}
