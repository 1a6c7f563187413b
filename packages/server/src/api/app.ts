import type { Server as HttpsServer } from "node:https";
import swagger from "@fastify/swagger";
import { type ErrorCode, isSlipwayError } from "@slipway/core";
import type { Role, Store } from "@slipway/store";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { authenticate, PUBLIC_ROUTES } from "./auth";
import { answerPlainHttp } from "./plain-http-refusal";
import { type Problem, problem } from "./problem";
import { RefusalLog } from "./refusals";
import { type Operations, registerRoutes } from "./routes";

/** Fastify's own 4xx (body parsing, unknown routes) as catalogue codes. */
const FRAMEWORK_CODES: Record<number, ErrorCode> = {
  404: "SLW_NOT_FOUND",
  405: "SLW_METHOD_NOT_ALLOWED",
  413: "SLW_PAYLOAD_TOO_LARGE",
  415: "SLW_UNSUPPORTED_MEDIA_TYPE",
};
const FRAMEWORK_HINTS: Record<number, string> = {
  413: "request bodies are JSON documents of at most 1 MiB; send less (nothing was done)",
};

/** The control plane's HTTP API: OpenAPI 3.1 at /openapi.json, bearer tokens with roles, problem+json errors. */
export async function buildApi(
  store: Store,
  ops: Operations,
  logger: Logger,
  tls?: { cert: string; key: string },
): Promise<FastifyInstance> {
  // The CLI polls rollouts several times a second: per-request log lines would drown the
  // events that matter. Mutations are in the event log; errors are still logged.
  const app = Fastify({
    ...(tls ? { https: { cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" as const } } : {}),
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // `logs -f` streams never end by themselves: closing must not wait for them.
    forceCloseConnections: true,
  });
  if (tls) answerPlainHttp(app.server as unknown as HttpsServer);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = failClosed(app);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Slipway control plane", version: "0.1.0" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const refusals = new RefusalLog((e) => store.events.append(e));
  const flushing = setInterval(() => void refusals.flush().catch(() => {}), 5_000).unref();
  app.addHook("onRequest", authenticate(store, refusals));
  const send = (reply: FastifyReply, p: Problem) =>
    reply.code(p.status).type("application/problem+json").send(p);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0]!;
    const allowed = routes.methodsFor(path);
    if (allowed.length)
      return send(
        reply.header("allow", allowed.join(", ")),
        problem(
          "SLW_METHOD_NOT_ALLOWED",
          `${req.method} is not allowed on ${path}`,
          `use ${allowed.join(" or ")}`,
          {
            allowed,
          },
        ),
      );
    return send(
      reply,
      problem("SLW_NOT_FOUND", `no API route ${req.method} ${path}`, "see /openapi.json for the routes"),
    );
  });
  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const fields = err.validation.map((v) => ({
        field: `${err.validationContext}${v.instancePath.replaceAll("/", ".")}`,
        message: v.message,
      }));
      return send(
        reply,
        problem(
          "SLW_BAD_REQUEST",
          fields.map((f) => `${f.field}: ${f.message}`).join("; "),
          "fix the named fields; see /openapi.json for the request shape",
          { fields },
        ),
      );
    }
    if (isSlipwayError(err))
      return send(
        reply,
        problem(err.code, err.message, err.hint, err.detail ? { detail_data: err.detail } : {}),
      );
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return send(
        reply,
        problem(
          FRAMEWORK_CODES[status] ?? "SLW_BAD_REQUEST",
          (err as Error).message,
          FRAMEWORK_HINTS[status],
        ),
      );
    req.log.error({ err }, "unhandled error");
    return send(reply, problem("SLW_INTERNAL", "internal error; see .slipway/control-plane.log"));
  });
  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true }));
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  // Log streams end cleanly when the control plane closes (their clients exit 0): abort
  // them, then wait (bounded) for each to finish its response before sockets are closed.
  const closing = new AbortController();
  const streams = new Set<Promise<unknown>>();
  app.addHook("preClose", async () => {
    closing.abort();
    clearInterval(flushing);
    await refusals.flush(true).catch(() => {});
    await Promise.race([Promise.allSettled(streams), new Promise((r) => setTimeout(r, 2000))]);
  });
  registerRoutes(app, ops, {
    closing: closing.signal,
    track: (p) => {
      // Settled here so a stream that fails can never surface as an unhandled rejection.
      const settled = p.then(
        () => {},
        () => {},
      );
      streams.add(settled);
      void settled.finally(() => streams.delete(settled));
    },
  });
  return app;
}

interface RegisteredRoute {
  method: string;
  url: string;
  role: Role | undefined;
  pattern: RegExp;
}
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on an API built by buildApi, with the role it needs. */
export const routesOf = (app: FastifyInstance): readonly RegisteredRoute[] => registered.get(app) ?? [];

/**
 * Refuses to register a route that names no role unless it is one of PUBLIC_ROUTES, so a
 * forgotten role fails at start instead of making a route public. Also remembers every
 * route's methods, to tell a wrong method (405) from an unknown path (404).
 */
function failClosed(app: FastifyInstance) {
  const known: RegisteredRoute[] = [];
  registered.set(app, known);
  app.addHook("onRoute", (r) => {
    if (!PUBLIC_ROUTES.has(r.url) && !r.config?.role)
      throw new Error(
        `route ${String(r.method)} ${r.url} declares no role; every route but ${[...PUBLIC_ROUTES].join(", ")} needs one`,
      );
    const pattern = new RegExp(
      `^${r.url
        .split("/")
        .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/")}/?$`,
    );
    for (const method of [r.method].flat()) known.push({ method, url: r.url, role: r.config?.role, pattern });
  });
  return {
    methodsFor: (path: string) => [
      ...new Set(known.filter((k) => k.pattern.test(path)).map((k) => k.method)),
    ],
  };
}
