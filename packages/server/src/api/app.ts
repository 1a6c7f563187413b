import swagger from "@fastify/swagger";
import { isSlipwayError } from "@slipway/core";
import type { Store } from "@slipway/store";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { authenticate } from "./auth";
import { problem } from "./problem";
import { type Operations, registerRoutes } from "./routes";

/** The control plane's HTTP API: OpenAPI 3.1 at /openapi.json, bearer tokens with roles, problem+json errors. */
export async function buildApi(store: Store, ops: Operations, logger: Logger): Promise<FastifyInstance> {
  // The CLI polls rollouts several times a second: per-request log lines would drown the
  // events that matter. Mutations are in the event log; errors are still logged.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // `logs -f` streams never end by themselves: closing must not wait for them.
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Slipway control plane", version: "0.1.0" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.addHook("onRequest", authenticate(store));
  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const fields = err.validation.map((v) => ({
        field: `${err.validationContext}${v.instancePath.replaceAll("/", ".")}`,
        message: v.message,
      }));
      return reply
        .code(400)
        .type("application/problem+json")
        .send(
          problem(
            "SLW_BAD_REQUEST",
            fields.map((f) => `${f.field}: ${f.message}`).join("; "),
            "fix the named fields; see /openapi.json for the request shape",
            { fields },
          ),
        );
    }
    if (isSlipwayError(err)) {
      const p = problem(err.code, err.message, err.hint, err.detail ? { detail_data: err.detail } : {});
      return reply.code(p.status).type("application/problem+json").send(p);
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500)
      return reply
        .code(status)
        .type("application/problem+json")
        .send(problem("SLW_BAD_REQUEST", (err as Error).message));
    req.log.error({ err }, "unhandled error");
    return reply
      .code(500)
      .type("application/problem+json")
      .send(problem("SLW_INTERNAL", "internal error; see .slipway/control-plane.log"));
  });
  app.get("/healthz", { config: { role: null }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get("/openapi.json", { config: { role: null }, schema: { hide: true } }, async () => app.swagger());
  // Log streams end cleanly when the control plane closes (their clients exit 0): abort
  // them, then wait (bounded) for each to finish its response before sockets are closed.
  const closing = new AbortController();
  const streams = new Set<Promise<unknown>>();
  app.addHook("preClose", async () => {
    closing.abort();
    await Promise.race([Promise.allSettled(streams), new Promise((r) => setTimeout(r, 2000))]);
  });
  registerRoutes(app, ops, {
    closing: closing.signal,
    track: (p) => {
      streams.add(p);
      p.finally(() => streams.delete(p));
    },
  });
  return app;
}
