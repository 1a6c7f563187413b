import { checkSchedule, DEFAULT_BACKUP_POLICY, DEFAULT_RESOURCES, STATUS_RANGE_PATTERN } from "@slipway/core";
import { z } from "zod";
import { backupCredentialSecrets, backupPolicySchema, backupRepositoryIssues } from "./backup-schema";
import { dataSchema } from "./data-schema";
import { flagIssues, flagsSchema } from "./flags-schema";
import { name } from "./names";
import { promotionIssues } from "./promotion-issues";
import { referenceIssues } from "./references";
import { secretIssues, secretsSchema } from "./secrets-schema";
import { freezeWindowSchema, strategySchema } from "./strategy-schema";

/**
 * The stack spec: what `slipway.config.ts` exports through `defineStack()`.
 * Every object is strict, so an unknown key is an error (with a "did you mean" from the loader).
 */

export { NAME_PATTERN } from "./names";

/** Service types that keep instances running (and so have a scale); the rest run to completion. */
export const LONG_RUNNING: ReadonlySet<string> = new Set(["web", "worker"]);

const envVars = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an env var name is letters, digits and '_'"),
    z.string(),
  )
  .describe("Environment variables given to the process, as strings.");

export const healthSchema = z
  .strictObject({
    kind: z
      .enum(["http", "tcp", "process"])
      .default("http")
      .describe(
        "http: GET `path` answers an `expect`ed status; tcp: $PORT accepts a connection; process: the process stays up (nothing is probed).",
      ),
    path: z
      .string()
      .startsWith("/")
      .optional()
      .describe('HTTP path probed, for kind "http". @default "/healthz"'),
    expect: z
      .array(
        z.union([
          z.number().int().min(100).max(599),
          z
            .string()
            .regex(STATUS_RANGE_PATTERN, 'a status range is like "200-399"')
            .refine((r) => Number(r.slice(0, 3)) <= Number(r.slice(4)), "a status range goes low-high"),
        ]),
      )
      .min(1)
      .optional()
      .describe(
        'Status codes that mean healthy, for kind "http": codes and ranges, e.g. [200, 401] or ["200-399"]. @default ["200-299"]',
      ),
    intervalSeconds: z
      .number()
      .positive()
      .default(2)
      .describe(
        'How often the edge checks each running instance once it takes traffic (HAProxy `inter`); two failed checks in a row take it out of rotation until two pass. For kind "process" the supervisor\'s liveness watch applies instead.',
      ),
    timeoutSeconds: z
      .number()
      .positive()
      .default(60)
      .describe("How long a new revision may take to become healthy before the deploy fails."),
  })
  .superRefine((h, ctx) => {
    if (h.kind === "http") return;
    for (const key of ["path", "expect"] as const)
      if (h[key] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${key} applies to HTTP checks; this check is kind "${h.kind}"`,
          params: { hint: `remove ${key}, or use kind: "http"` },
        });
  })
  .describe(
    "Health check of a `web` service: HTTP (the default, GET /healthz answering 2xx), TCP connect, or process liveness only. Gates a new revision's traffic, and the edge keeps checking it.",
  );

export const scaleSchema = z
  .strictObject({
    min: z.number().int().min(0).default(1).describe("Fewest running instances."),
    max: z.number().int().min(1).default(1).describe("Most running instances the autoscaler may start."),
  })
  .refine((s) => s.max >= s.min, {
    message: "max must be >= min",
    path: ["max"],
    params: { hint: "raise max to at least min, or lower min" },
  })
  .describe("How many instances run; web and worker services only.");

/** Kubernetes quantities: "250m" or "0.5" CPUs; "256Mi", "1Gi" (or "512M") of memory. */
export const CPU_PATTERN = /^(\d+m|\d+(\.\d{1,3})?)$/;
export const MEMORY_PATTERN = /^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

export const resourcesSchema = z
  .strictObject({
    cpu: z
      .string()
      .regex(CPU_PATTERN, 'cpu is CPUs like "0.5" or millicores like "250m"')
      .refine((v) => Number.parseFloat(v) > 0, "cpu must be more than 0")
      .default(DEFAULT_RESOURCES.cpu)
      .describe('CPU per instance, e.g. "250m" (a quarter of a core) or "1". @default "250m"'),
    memory: z
      .string()
      .regex(MEMORY_PATTERN, 'memory is a size like "256Mi" or "1Gi"')
      .refine((v) => Number.parseInt(v, 10) > 0, "memory must be more than 0")
      .default(DEFAULT_RESOURCES.memory)
      .describe('Memory per instance, e.g. "256Mi" or "1Gi". @default "256Mi"'),
  })
  .describe(
    "CPU and memory of one instance, rendered for Kubernetes as both its requests and limits. The local driver does not enforce them.",
  );

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
    gatedBy: z
      .string()
      .optional()
      .describe(
        "For the `release` job (a destructive migration): the feature flag that must be on in the environment for it to run. While the flag is off the job is skipped (the release still goes out, and an event says so); turn it on with `slipway flags set NAME on` and deploy again to run it.",
      ),
    schedule: z
      .string()
      .optional()
      .describe(
        'Cron expression, for `cron` services, in UTC: 5 fields ("0 3 * * *": daily at 03:00) or 6 with seconds first ("*/30 * * * * *"). A run still going when the next is due makes that one skip.',
      ),
    volume: z
      .boolean()
      .default(false)
      .describe(
        "A persistent directory for this service, kept across releases and deploys, owned by the user the service runs as; its path is in $SLIPWAY_VOLUME (refer to it as $(SLIPWAY_VOLUME) in command and env).",
      ),
    drainSeconds: z
      .number()
      .min(0)
      .default(30)
      .describe("How long in-flight work may take after SIGTERM before SIGKILL."),
    resources: resourcesSchema.optional(),
    queue: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "a queue name is letters, digits, '.', '_' or '-'")
      .optional()
      .describe(
        "The BullMQ queue a `worker` consumes (the name given to `new Worker(name)`). Rendered for Kubernetes, a worker that uses a redis add-on and may scale (scale.max > min) is scaled by KEDA on this queue's waiting jobs.",
      ),
  })
  .superRefine((s, ctx) => {
    if (s.type === "cron" && !s.schedule)
      ctx.addIssue({
        code: "custom",
        path: ["schedule"],
        message: "a cron service needs a schedule",
        params: { hint: 'add schedule: "*/5 * * * *" (a cron expression)' },
      });
    if (s.type === "cron" && s.schedule) {
      const check = checkSchedule(s.schedule);
      if (!check.ok)
        ctx.addIssue({
          code: "custom",
          path: ["schedule"],
          message: `not a cron expression: ${check.error}`,
          params: { hint: 'write 5 fields, e.g. "*/5 * * * *" (every 5 minutes, UTC)' },
        });
    }
    if (s.health && s.type !== "web")
      ctx.addIssue({
        code: "custom",
        path: ["health"],
        message: `a ${s.type} service has no health check: ${LONG_RUNNING.has(s.type) ? "it is watched by staying up" : "it runs to completion"}`,
        params: { hint: "remove health; only web services are health-checked" },
      });
    if (s.gatedBy !== undefined && s.type !== "release")
      ctx.addIssue({
        code: "custom",
        path: ["gatedBy"],
        message: `only the release job is gated by a flag, not a ${s.type} service`,
        params: { hint: 'remove gatedBy, or put it on the service of type "release"' },
      });
    if (s.schedule !== undefined && s.type !== "cron")
      ctx.addIssue({
        code: "custom",
        path: ["schedule"],
        message: `a ${s.type} service does not run on a schedule`,
        params: { hint: 'remove schedule, or set type: "cron"' },
      });
    if (s.queue !== undefined && s.type !== "worker")
      ctx.addIssue({
        code: "custom",
        path: ["queue"],
        message: `a ${s.type} service consumes no queue`,
        params: { hint: 'remove queue, or set type: "worker"' },
      });
    // Jobs run one instance per run: a scale there would be silently ignored, so refuse it.
    if (s.scale && !LONG_RUNNING.has(s.type))
      ctx.addIssue({
        code: "custom",
        path: ["scale"],
        message: `a ${s.type} service runs one instance per run and has no scale`,
        params: { hint: "remove scale; only web and worker services scale" },
      });
  })
  .describe("A process type of the stack.");

export const postgresSchema = z.strictObject({
  type: z.literal("postgres"),
  version: z.number().int().min(12).default(15).describe("PostgreSQL major version."),
  databases: z
    .array(name("database"))
    .min(1)
    .default(["app"])
    .describe(
      "Databases created on the server; a service that uses the add-on gets DATABASE_URL (the first) and DATABASE_URL_<NAME> for each.",
    ),
  backup: z
    .strictObject({
      bucket: name("bucket add-on").describe(
        "A bucket add-on of this stack that holds the backup repository (base backups, WAL, metadata; encrypted before they leave the machine) instead of a local directory. On Kubernetes, CloudNativePG archives WAL and takes scheduled base backups into it.",
      ),
    })
    .optional()
    .describe(
      "Where the continuous backups of this database are kept. Absent: a local directory (and, on Kubernetes, no backups rendered).",
    ),
});

export const redisSchema = z.strictObject({
  type: z.literal("redis"),
  maxmemory: z
    .string()
    .regex(/^\d+(kb|mb|gb)$/i, 'maxmemory is a size like "64mb"')
    .default("64mb")
    .describe('Memory cap, like "64mb"; what happens at the cap is evictionPolicy.'),
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
  backup: z
    .strictObject({
      snapshots: z.enum(["hourly", "daily"]).describe("How often an RDB snapshot is taken."),
    })
    .optional()
    .describe(
      "RDB snapshots into the environment's backup repository, compressed and encrypted like the postgres backups. Absent: nothing of this Redis is kept (caches warm up after a restart).",
    ),
});

export const bucketSchema = z.strictObject({
  type: z.literal("bucket"),
  bucket: name("bucket").optional().describe("Bucket name; defaults to the add-on name."),
});

export const addonSchema = z
  .discriminatedUnion("type", [postgresSchema, redisSchema, bucketSchema])
  .describe("A data service the stack uses: postgres, redis or bucket (S3-compatible).");

export const routeSchema = z.strictObject({
  path: z.string().startsWith("/").default("/").describe("Path prefix; the longest match wins."),
  host: z.string().optional().describe("Host header to match; any host when omitted."),
  service: name("service").describe("The web service that answers this route."),
});

export const serviceOverrideSchema = z
  .strictObject({
    env: envVars.optional().describe("Merged over the service's env; these win."),
    scale: scaleSchema.optional().describe("Replaces the service's scale in this environment."),
    resources: resourcesSchema.optional().describe("Replaces the service's resources in this environment."),
  })
  .describe("What one environment changes about a service.");

export const environmentSchema = z.strictObject({
  server: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      "a server is the name of a CLI context: letters, digits, '.', '_', '-' (e.g. \"prod\")",
    )
    .refine((v) => v !== "local", {
      message: '"local" is the project\'s own control plane, not a server',
      params: { hint: "leave server out to run this environment on the local control plane" },
    })
    .optional()
    .describe(
      "The CLI context (`slipway context add NAME https://HOST:PORT …`) of the server this environment runs on: `slipway deploy --env ENV` talks to it without --context. --context, SLIPWAY_CONTEXT and SLIPWAY_URL still win.",
    ),
  services: z
    .record(name("service"), serviceOverrideSchema)
    .default({})
    .describe("Per-service overrides, keyed by service name."),
  autoDeploy: z
    .strictObject({
      branch: z.string().min(1).describe('The git branch whose new commits deploy here, e.g. "main".'),
    })
    .optional()
    .describe(
      "Deploy each new commit of a branch here automatically (dev, staging). An admin turns it on for the environment; the spec only says from where.",
    ),
  promotesFrom: name("environment")
    .optional()
    .describe(
      "The environment whose builds are promoted here (prod promotes from staging): a build must have succeeded there first.",
    ),
  requiresApproval: z
    .boolean()
    .default(false)
    .describe("A promotion here waits until a user with the approver role approves it."),
  soakMinutes: z
    .number()
    .min(0)
    .default(0)
    .describe("How long a build must have run healthy in `promotesFrom` before it can be promoted here."),
  freeze: z
    .array(freezeWindowSchema)
    .default([])
    .describe("Windows in which deploys and promotions here are refused."),
  strategy: strategySchema.default({ kind: "direct" }),
  backup: backupPolicySchema.default(() => ({ ...DEFAULT_BACKUP_POLICY, verify: [] })),
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
    name: name("stack").describe("The stack's name, used in hostnames, paths and resource names."),
    services: z.record(name("service"), serviceSchema).describe("The process types, keyed by service name."),
    addons: z
      .record(name("add-on"), addonSchema)
      .default({})
      .describe("Data services, keyed by add-on name."),
    routes: z
      .array(routeSchema)
      .default([])
      .describe("How the edge proxy maps hosts and paths to web services."),
    environments: z
      .record(name("environment"), environmentSchema)
      .default({
        local: {
          services: {},
          requiresApproval: false,
          soakMinutes: 0,
          freeze: [],
          strategy: { kind: "direct" },
          backup: { ...DEFAULT_BACKUP_POLICY, verify: [] },
        },
      })
      .describe("Isolated copies of the stack (local, dev, staging, prod), keyed by name."),
    build: buildSchema.default({}).describe("How the app is built once per commit."),
    flags: flagsSchema,
    data: dataSchema.optional(),
    secrets: secretsSchema,
  })
  .superRefine((stack, ctx) => {
    const jobs = Object.entries(stack.services).filter(([, s]) => s.type === "release");
    if (jobs.length > 1)
      ctx.addIssue({
        code: "custom",
        path: ["services", jobs[1]![0], "type"],
        message: `only one release service runs per release; ${jobs.map(([n]) => JSON.stringify(n)).join(" and ")} are both type "release"`,
        params: {
          hint: `run the steps in order from one command (e.g. a script), or change the type of ${JSON.stringify(jobs[1]![0])}`,
        },
      });
    for (const issue of referenceIssues(stack)) ctx.addIssue({ code: "custom", ...issue });
    for (const issue of secretIssues(stack, backupCredentialSecrets(stack.environments)))
      ctx.addIssue({ code: "custom", ...issue });
    for (const issue of backupRepositoryIssues(stack)) ctx.addIssue({ code: "custom", ...issue });
    for (const [svcName, svc] of Object.entries(stack.services))
      if (svc.gatedBy !== undefined && !Object.hasOwn(stack.flags, svc.gatedBy))
        ctx.addIssue({
          code: "custom",
          path: ["services", svcName, "gatedBy"],
          message: `no flag named ${JSON.stringify(svc.gatedBy)}`,
          params: {
            hint: Object.keys(stack.flags).length
              ? `use one of: ${Object.keys(stack.flags).join(", ")}`
              : `declare it under flags, e.g. flags: { "${svc.gatedBy}": { description: "drop the old columns" } }`,
          },
        });
    for (const [svcName, svc] of Object.entries(stack.services)) {
      svc.uses.forEach((a, i) => {
        if (!Object.hasOwn(stack.addons, a))
          ctx.addIssue({
            code: "custom",
            path: ["services", svcName, "uses", i],
            message: `no add-on named ${JSON.stringify(a)}`,
            params: { hint: "declare it under addons, or remove it from uses" },
          });
      });
      svc.calls.forEach((c, i) => {
        if (own(stack.services, c)?.type !== "web")
          ctx.addIssue({
            code: "custom",
            path: ["services", svcName, "calls", i],
            message: `${JSON.stringify(c)} is not a web service of this stack`,
            params: { hint: "calls names web services of this stack; fix the name or remove it" },
          });
      });
    }
    stack.routes.forEach((r, i) => {
      if (own(stack.services, r.service)?.type !== "web")
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "service"],
          message: `${JSON.stringify(r.service)} is not a web service of this stack`,
          params: { hint: "a route points at a web service; fix the name or change that service's type" },
        });
    });
    // The seed runs after the release job, with its environment: without one it would never run.
    if (stack.data?.seed && !Object.values(stack.services).some((s) => s.type === "release"))
      ctx.addIssue({
        code: "custom",
        path: ["data", "seed"],
        message: "the seed runs after the release job (migrations), and this stack has none",
        params: { hint: 'add a service of type "release" that creates the schema, or remove data.seed' },
      });
    for (const [addonName, addon] of Object.entries(stack.addons))
      if (
        addon.type === "postgres" &&
        addon.backup &&
        own(stack.addons, addon.backup.bucket)?.type !== "bucket"
      ) {
        const buckets = Object.entries(stack.addons).filter(([, a]) => a.type === "bucket");
        ctx.addIssue({
          code: "custom",
          path: ["addons", addonName, "backup", "bucket"],
          message: `${JSON.stringify(addon.backup.bucket)} is not a bucket add-on of this stack`,
          params: {
            hint: buckets.length
              ? `name one of: ${buckets.map(([n]) => n).join(", ")}`
              : 'declare one, e.g. addons: { backups: { type: "bucket" } }, or remove backup to keep backups in a local directory',
          },
        });
      }
    for (const issue of promotionIssues(stack.environments)) ctx.addIssue({ code: "custom", ...issue });
    for (const issue of flagIssues(stack.flags, Object.keys(stack.environments)))
      ctx.addIssue({ code: "custom", ...issue });
    for (const [envName, env] of Object.entries(stack.environments)) {
      if (env.strategy.kind === "direct") continue;
      env.strategy.analysis.probes.forEach((p, i) => {
        if (p.kind === "command" && !own(stack.services, p.service))
          ctx.addIssue({
            code: "custom",
            path: ["environments", envName, "strategy", "analysis", "probes", i, "service"],
            message: `no service named ${JSON.stringify(p.service)} to run the command probe ${JSON.stringify(p.name)} as`,
            params: { hint: `name one of: ${Object.keys(stack.services).join(", ")}` },
          });
      });
    }
    for (const [envName, env] of Object.entries(stack.environments))
      for (const [svcName, override] of Object.entries(env.services)) {
        const target = own(stack.services, svcName);
        if (!target)
          ctx.addIssue({
            code: "custom",
            path: ["environments", envName, "services", svcName],
            message: `no service named ${JSON.stringify(svcName)} to override`,
            params: { hint: `override one of: ${Object.keys(stack.services).join(", ")}` },
          });
        else if (override.scale && !LONG_RUNNING.has(target.type))
          ctx.addIssue({
            code: "custom",
            path: ["environments", envName, "services", svcName, "scale"],
            message: `${JSON.stringify(svcName)} is a ${target.type} service, which has no scale`,
            params: { hint: "remove scale; only web and worker services scale" },
          });
      }
  })
  .describe("A Slipway stack: what `slipway.config.ts` exports.");

/** A record entry, ignoring inherited keys: "constructor" is a valid name and must not match Object's. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

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
export type Health = z.output<typeof healthSchema>;
export type Scale = z.output<typeof scaleSchema>;
export type Resources = z.output<typeof resourcesSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type ServiceOverride = z.output<typeof serviceOverrideSchema>;
export type ServiceType = Service["type"];

/** Typed identity used in `slipway.config.ts`, so editors check the spec as it is written. */
export function defineStack(stack: StackInput): StackInput {
  return stack;
}
