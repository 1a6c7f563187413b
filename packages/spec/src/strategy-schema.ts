import { z } from "zod";
import { name } from "./names";

/**
 * How a new release takes traffic in an environment (direct, canary steps, blue/green), how it
 * is judged and probed, and when the environment refuses deploys (freeze windows).
 */

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day is "HH:MM" (24 h, UTC)');
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export const freezeWindowSchema = z
  .union([
    z.strictObject({
      from: z.iso.datetime({ offset: true }).describe('Start, an ISO date-time ("2026-12-20T00:00:00Z").'),
      until: z.iso.datetime({ offset: true }).describe("End (exclusive), an ISO date-time."),
      reason: z.string().optional().describe("Shown to whoever is refused."),
    }),
    z.strictObject({
      days: z
        .array(z.enum(WEEKDAYS))
        .min(1)
        .describe('Days of the week (UTC) the window recurs on, e.g. ["fri", "sat", "sun"].'),
      from: clock.describe('Start time on each of those days, "HH:MM" UTC.'),
      until: clock.describe('End time (exclusive) on the same day, "HH:MM" UTC; "00:00" means midnight.'),
      reason: z.string().optional().describe("Shown to whoever is refused."),
    }),
  ])
  .describe("A period in which nothing is deployed or promoted to the environment.");

const onFailure = z
  .enum(["rollback", "freeze"])
  .default("rollback")
  .describe(
    'What a failed judgement does: roll back, or "freeze" at the current weight and wait for a human (for a release whose migration cannot be undone).',
  );

const probeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a probe name is lowercase letters, digits and '-'")
  .describe("Names the probe in judgements and the rollout's timeline.");
const probePath = z
  .string()
  .regex(/^\/[^\s]*$/, 'a path starts with "/" and has no spaces')
  .max(1024);

const httpProbeSchema = z.strictObject({
  kind: z.literal("http").describe("Calls a path through the edge, forced to the new revision."),
  name: probeName,
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET").describe("HTTP method."),
  path: probePath.describe('Path on the environment\'s public edge, e.g. "/api/login".'),
  calls: z.number().int().min(1).max(10_000).default(20).describe("How many calls the p95 is taken over."),
  p95BudgetMs: z.number().positive().default(250).describe("Highest p95 latency of those calls, in ms."),
  expectStatus: z
    .array(z.number().int().min(100).max(599))
    .min(1)
    .default([200])
    .describe("Statuses that count as a good answer; any other fails the probe."),
});

const triggerPollFields = {
  name: probeName,
  trigger: z
    .strictObject({
      method: z.enum(["POST", "PUT", "GET"]).default("POST"),
      path: probePath.describe('Path that starts the work and answers JSON with its id, e.g. "/api/jobs".'),
      body: z.unknown().optional().describe("JSON body sent with the trigger."),
    })
    .describe("The request that starts the work, through the edge, forced to the new revision."),
  idField: z.string().min(1).default("id").describe("Field of the trigger's JSON answer holding the id."),
  poll: probePath
    .refine((p) => p.includes("{id}"), 'the poll path must contain "{id}"')
    .describe('Path that reports the work\'s state, "{id}" replaced by the id, e.g. "/api/jobs/{id}".'),
  doneField: z
    .string()
    .min(1)
    .default("state")
    .describe("Field of the poll's JSON answer holding the state."),
  doneValues: z.array(z.string()).min(1).default(["completed"]).describe("States that mean done (pass)."),
  failedValues: z.array(z.string()).default(["failed"]).describe("States that mean failed (fail at once)."),
  pollIntervalMs: z.number().int().min(10).default(250).describe("Time between polls."),
};

const jobProbeSchema = z.strictObject({
  kind: z.literal("job").describe("Enqueues a synthetic job and expects it done within the deadline."),
  ...triggerPollFields,
  deadlineSeconds: z.number().positive().default(60).describe("Longest time from trigger to done."),
});

const eventProbeSchema = z.strictObject({
  kind: z.literal("event").describe("Writes an event and expects its delivery within the deadline."),
  ...triggerPollFields,
  deadlineSeconds: z.number().positive().default(3).describe("Longest time from write to delivery."),
});

const commandProbeSchema = z.strictObject({
  kind: z
    .literal("command")
    .describe("Runs an argv with the new revision's environment; exit code 0 passes."),
  name: probeName,
  service: name("service").describe("The service whose new revision's environment the command gets."),
  command: z.array(z.string()).min(1).describe('argv, no shell, e.g. ["node", "scripts/hash-check.mjs"].'),
  timeoutSeconds: z.number().positive().default(30).describe("Longest run; past it the probe fails."),
});

export const probeSchema = z
  .discriminatedUnion("kind", [httpProbeSchema, jobProbeSchema, eventProbeSchema, commandProbeSchema])
  .describe("A check that gates each step: a failing probe rolls back, an unfinished one holds.");

export const analysisSchema = z
  .strictObject({
    maxErrorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe("Highest share of 5xx responses the new revision may have (0.01 = 1%)."),
    latency: z
      .strictObject({
        quantile: z.number().gt(0).lt(1).default(0.95).describe("Which quantile is budgeted (0.95 = p95)."),
        budgetMs: z.number().positive().default(250).describe("Its budget in milliseconds."),
      })
      .default({ quantile: 0.95, budgetMs: 250 })
      .describe("The latency the new revision must stay within."),
    marginVsStable: z
      .number()
      .min(0)
      .default(0.5)
      .describe("How much worse than the stable revision, at the same time, it may be (0.5 = 50% worse)."),
    minRequests: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe("Requests to the new revision before it can be judged good."),
    sloTarget: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.999)
      .describe("The availability SLO; burning it 14.4× too fast rolls back at once."),
    jobs: z
      .strictObject({
        maxFailureRate: z
          .number()
          .min(0)
          .max(1)
          .default(0.01)
          .describe("Highest share of failed jobs the new revision's workers may have (0.01 = 1%)."),
        duration: z
          .strictObject({
            quantile: z
              .number()
              .gt(0)
              .lt(1)
              .default(0.95)
              .describe("Which quantile is budgeted (0.95 = p95)."),
            budgetMs: z.number().positive().describe("Its budget in milliseconds."),
          })
          .optional()
          .describe("The job duration the new revision's workers must stay within; unset: not judged."),
        minJobs: z
          .number()
          .int()
          .min(1)
          .default(20)
          .describe("Jobs done by the new revision before a step can be judged good."),
      })
      .default({ maxFailureRate: 0.01, minJobs: 20 })
      .describe(
        "How workers are judged, from the job outcomes they report through the runtime SDK (`jobs()`); a worker that reports none is not judged. The margin against stable is `marginVsStable`.",
      ),
    probes: z
      .array(probeSchema)
      .default([])
      .describe(
        "Probes run at each step against the new revision (seed: login p95, job done, event delivered).",
      ),
  })
  .describe(
    "How each step of a canary or blue/green release is judged: against limits and against the stable revision.",
  );

export const canaryStepSchema = z.strictObject({
  weight: z.number().int().min(1).max(100).describe("Share of new requests sent to the new revision, 1–100."),
  holdMinutes: z.number().min(0).default(30).describe("Least time at this weight."),
  holdRequests: z
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe("Least requests to the new revision at this weight (low traffic holds longer)."),
});

export const strategySchema = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("direct").describe("All traffic to the new release once it is healthy."),
    }),
    z.strictObject({
      kind: z.literal("canary").describe("Move traffic step by step, judging each step on live metrics."),
      steps: z
        .array(canaryStepSchema)
        .min(1)
        .default([5, 25, 50, 100].map((weight) => ({ weight, holdMinutes: 30, holdRequests: 1000 })))
        .describe("Weights in increasing order, ending at 100. @default 5 → 25 → 50 → 100, 30 min each"),
      onFailure,
      analysis: analysisSchema.default(analysisSchema.parse({})),
    }),
    z.strictObject({
      kind: z
        .literal("blueGreen")
        .describe("Start and probe the new release, switch all traffic at once, keep the old one warm."),
      keepWarmMinutes: z
        .number()
        .min(0)
        .default(30)
        .describe("How long the old release keeps running after the switch, so a rollback is instant."),
      onFailure,
      analysis: analysisSchema.default(analysisSchema.parse({})),
    }),
  ])
  .superRefine((s, ctx) => {
    if (s.kind === "direct") return;
    const names = new Set<string>();
    s.analysis.probes.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({
          code: "custom",
          path: ["analysis", "probes", i, "name"],
          message: `two probes are named ${JSON.stringify(p.name)}`,
          params: { hint: "give each probe its own name: judgements and the timeline name probes by it" },
        });
      names.add(p.name);
    });
    if (s.kind !== "canary") return;
    s.steps.forEach((step, i) => {
      if (i > 0 && step.weight <= s.steps[i - 1]!.weight)
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "weight"],
          message: `weights only go up: ${step.weight} after ${s.steps[i - 1]!.weight}`,
          params: { hint: "list the steps in increasing weight, e.g. 5, 25, 50, 100" },
        });
    });
    if (s.steps.at(-1)?.weight !== 100)
      ctx.addIssue({
        code: "custom",
        path: ["steps", s.steps.length - 1, "weight"],
        message: "the last step must send all traffic (weight 100)",
        params: { hint: "add { weight: 100 } as the last step" },
      });
  })
  .describe("How a new release takes traffic in this environment.");

export type FreezeWindow = z.output<typeof freezeWindowSchema>;
export type StrategySpec = z.output<typeof strategySchema>;
export type ProbeSpecInput = z.output<typeof probeSchema>;
