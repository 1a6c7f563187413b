import { z } from "zod";

/**
 * The stack spec: what `slipway.config.ts` exports through `defineStack()`.
 * Every object is strict, so an unknown key is an error (with a "did you mean" from the loader).
 */

/** Names end up in env var names, file paths, HAProxy identifiers and URLs: keep them boring. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_PATTERN,
      `a ${what} name is 1-32 lowercase letters, digits or '-', starting with a letter (e.g. "api")`,
    );

const envVars = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an env var name is letters, digits and '_'"),
    z.string(),
  )
  .describe("Environment variables given to the process, as strings.");

export const healthSchema = z
  .strictObject({
    path: z.string().startsWith("/").default("/healthz").describe("HTTP path that answers 2xx when ready."),
    intervalSeconds: z.number().positive().default(30).describe("How often a live revision is checked."),
    timeoutSeconds: z
      .number()
      .positive()
      .default(60)
      .describe("How long a new revision may take to become healthy before the deploy fails."),
  })
  .describe("Health check. `web` services are checked over HTTP; others by liveness.");

export const scaleSchema = z
  .strictObject({
    min: z.number().int().min(0).default(1),
    max: z.number().int().min(1).default(1),
  })
  .refine((s) => s.max >= s.min, { message: "scale.max must be >= scale.min", path: ["max"] });

export const serviceSchema = z
  .strictObject({
    type: z
      .enum(["web", "worker", "cron", "release"])
      .describe(
        "web serves HTTP on $PORT; worker consumes a queue; cron runs on a schedule; release runs once per release before traffic moves (migrations).",
      ),
    command: z
      .array(z.string())
      .min(1, "command is an argv array like ['node', 'server.js'] (never a shell string)")
      .describe("argv of the process, run without a shell."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("Port inside a container when rendered for Kubernetes; locally Slipway assigns $PORT."),
    health: healthSchema.optional(),
    env: envVars.default({}),
    scale: scaleSchema.optional(),
    uses: z.array(name("add-on")).default([]).describe("Add-ons whose connection info is injected."),
    calls: z
      .array(name("service"))
      .default([])
      .describe("Services this one calls; each gives an env var NAME_URL."),
    schedule: z.string().optional().describe("Cron expression, for `cron` services."),
    drainSeconds: z
      .number()
      .min(0)
      .default(30)
      .describe("How long in-flight work may take after SIGTERM before SIGKILL."),
  })
  .superRefine((s, ctx) => {
    if (s.type === "cron" && !s.schedule)
      ctx.addIssue({ code: "custom", path: ["schedule"], message: "a cron service needs a schedule" });
  });

export const postgresSchema = z.strictObject({
  type: z.literal("postgres"),
  version: z.number().int().min(12).default(15).describe("PostgreSQL major version."),
  databases: z.array(name("database")).min(1).default(["app"]),
});

export const redisSchema = z.strictObject({
  type: z.literal("redis"),
  maxmemory: z
    .string()
    .regex(/^\d+(kb|mb|gb)$/i, 'maxmemory is like "64mb"')
    .default("64mb"),
  evictionPolicy: z
    .enum([
      "noeviction",
      "allkeys-lru",
      "allkeys-lfu",
      "volatile-lru",
      "volatile-lfu",
      "allkeys-random",
      "volatile-random",
      "volatile-ttl",
    ])
    .default("noeviction")
    .describe("noeviction suits queues: a full Redis refuses writes instead of dropping jobs."),
  persistence: z.boolean().default(false).describe("Append-only file persistence."),
});

export const bucketSchema = z.strictObject({
  type: z.literal("bucket"),
  bucket: name("bucket").optional().describe("Bucket name; defaults to the add-on name."),
});

export const addonSchema = z.discriminatedUnion("type", [postgresSchema, redisSchema, bucketSchema]);

export const routeSchema = z.strictObject({
  path: z.string().startsWith("/").default("/").describe("Path prefix; the longest match wins."),
  host: z.string().optional().describe("Host header to match; any host when omitted."),
  service: name("service"),
});

export const serviceOverrideSchema = z.strictObject({
  env: envVars.optional(),
  scale: scaleSchema.optional(),
});

export const environmentSchema = z.strictObject({
  services: z.record(name("service"), serviceOverrideSchema).default({}),
});

export const buildSchema = z.strictObject({
  command: z
    .array(z.string())
    .min(1)
    .optional()
    .describe("argv run once per build in the build directory; defaults to `npm ci` when a lockfile exists."),
});

export const stackSchema = z
  .strictObject({
    name: name("stack"),
    services: z.record(name("service"), serviceSchema),
    addons: z.record(name("add-on"), addonSchema).default({}),
    routes: z.array(routeSchema).default([]),
    environments: z.record(name("environment"), environmentSchema).default({ local: { services: {} } }),
    build: buildSchema.default({}),
  })
  .superRefine((stack, ctx) => {
    for (const [svcName, svc] of Object.entries(stack.services)) {
      svc.uses.forEach((a, i) => {
        if (!(a in stack.addons))
          ctx.addIssue({
            code: "custom",
            path: ["services", svcName, "uses", i],
            message: `no add-on named "${a}"; declare it under addons or remove it`,
          });
      });
      svc.calls.forEach((c, i) => {
        const target = stack.services[c];
        if (!target || target.type !== "web")
          ctx.addIssue({
            code: "custom",
            path: ["services", svcName, "calls", i],
            message: `"${c}" is not a web service of this stack; calls name web services`,
          });
      });
    }
    stack.routes.forEach((r, i) => {
      const target = stack.services[r.service];
      if (!target || target.type !== "web")
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "service"],
          message: `"${r.service}" is not a web service of this stack; a route points at a web service`,
        });
    });
    for (const [envName, env] of Object.entries(stack.environments))
      for (const svcName of Object.keys(env.services))
        if (!(svcName in stack.services))
          ctx.addIssue({
            code: "custom",
            path: ["environments", envName, "services", svcName],
            message: `no service named "${svcName}" to override`,
          });
  });

/** What the author writes (defaults optional). */
export type StackInput = z.input<typeof stackSchema>;
/** What the loader returns (defaults filled in). */
export type Stack = z.output<typeof stackSchema>;
export type Service = z.output<typeof serviceSchema>;
export type Addon = z.output<typeof addonSchema>;
export type PostgresAddon = z.output<typeof postgresSchema>;
export type RedisAddon = z.output<typeof redisSchema>;
export type BucketAddon = z.output<typeof bucketSchema>;
export type Route = z.output<typeof routeSchema>;

/** Typed identity used in `slipway.config.ts`, so editors check the spec as it is written. */
export function defineStack(stack: StackInput): StackInput {
  return stack;
}
