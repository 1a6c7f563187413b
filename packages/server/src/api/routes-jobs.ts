import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { JobReports } from "../rollout/job-stats";

const params = z.object({
  env: z.string().describe("environment name, e.g. local"),
  release: z.coerce.number().int().min(1).describe("release number, as in v3"),
  service: z.string().min(1).max(64).describe("the worker service"),
});
const durations = z
  .array(z.number().min(0).max(86_400_000))
  .max(10_000)
  .default([])
  .describe("each job's duration in milliseconds");

/**
 * Workers report their jobs here (the runtime SDK's `jobs()`), with the token they were
 * started with, which opens this route for their own release and service only. Reports are
 * metrics, not changes to the stack: they are counted, not written to the audit log (a busy
 * worker reports every second).
 */
export function registerJobRoutes(root: FastifyInstance, reports: JobReports): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    "/v1/environments/:env/releases/:release/jobs/:service",
    {
      config: {
        // A worker's own runtime token; an admin may report too (a test, a backfill).
        role: "admin",
        runtimeToken: (token, req) => {
          const p = req.params as { env: string; release: string; service: string };
          return reports.isRuntimeToken(p.env, Number(p.release), p.service, token);
        },
      },
      schema: {
        params,
        summary:
          "A worker's job outcomes since its last report (durations of completed and failed jobs): what a canary's workers are judged on",
        body: z.strictObject({ completed: durations, failed: durations }),
      },
    },
    async (req) => reports.record(req.params.env, req.params.release, req.params.service, req.body),
  );
}
