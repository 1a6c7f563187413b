import { timingSafeEqual } from "node:crypto";
import {
  durationBucket,
  type JobTally,
  jobArm,
  type ReleaseConfig,
  type ServiceCounters,
  SlipwayError,
} from "@slipway/core";
import type { EnvironmentRow, JobCountRow, ReleaseRow } from "@slipway/store";
import { apiTrustEnv } from "../api-trust";
import type { Ctx } from "../context";

/**
 * Workers' job outcomes, the canary's second metric source beside the edge: each worker
 * process reports its jobs (outcome and duration) through the runtime SDK, in small batches,
 * to a route that only its own token opens; the counts are kept per release and service in
 * the store, so a restarted control plane judges the same window.
 */

/** A worker's token for reporting its jobs: per environment, release and service, derived from the master key. */
const jobsToken = (ctx: Ctx, env: string, release: number, service: string) =>
  `slwj_${ctx.box.derive(`jobs-report:${ctx.stackId}/${env}/v${release}/${service}`)}`;

/** Where a worker of `release` reports its jobs (nothing for other services, or before the API listens). */
export function jobsReportEnv(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  service: string,
): Record<string, string> {
  const api = ctx.apiUrl?.();
  if (release.config.services[service]?.type !== "worker" || !api) return {};
  return {
    SLIPWAY_JOBS_URL: `${api}/v1/environments/${encodeURIComponent(env.name)}/releases/${release.number}/jobs/${encodeURIComponent(service)}`,
    SLIPWAY_JOBS_TOKEN: jobsToken(ctx, env.name, release.number, service),
    ...apiTrustEnv(ctx),
  };
}

/** Durations in milliseconds of the jobs that completed and failed since the last report. */
export interface JobReport {
  completed: number[];
  failed: number[];
}

export interface JobReports {
  isRuntimeToken(env: string, release: number, service: string, token: string): boolean;
  /** Adds a report to the release's counts; returns how many jobs it held. */
  record(env: string, release: number, service: string, report: JobReport): Promise<{ jobs: number }>;
}

export function jobReports(ctx: Ctx): JobReports {
  return {
    isRuntimeToken(env, release, service, token) {
      const expected = Buffer.from(jobsToken(ctx, env, release, service));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    async record(envName, number, service, report) {
      const env = await ctx.store.environments.get(ctx.stackId, envName);
      const release = env ? await ctx.store.releases.byNumber(env.id, number) : undefined;
      if (!env || !release)
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `no release v${number} in environment "${envName}"`,
          "a worker reports to the URL it was started with (SLIPWAY_JOBS_URL); do not build it by hand",
        );
      if (release.config.services[service]?.type !== "worker")
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `v${number} has no worker named "${service}"`,
          "only workers report jobs; see the release's services with `slipway releases`",
        );
      await ctx.store.jobCounts.add(release.id, service, countRows(report));
      return { jobs: report.completed.length + report.failed.length };
    },
  };
}

/** A report as rows to add: jobs counted by outcome and duration bucket. */
function countRows(report: JobReport): JobCountRow[] {
  const counts = new Map<string, JobCountRow>();
  for (const outcome of ["completed", "failed"] as const)
    for (const ms of report[outcome]) {
      const bucket = durationBucket(ms);
      const key = `${outcome}/${bucket}`;
      const row = counts.get(key) ?? { outcome, bucket, count: 0 };
      row.count++;
      counts.set(key, row);
    }
  return [...counts.values()];
}

/**
 * Each worker of the new release: its jobs per revision, cumulative, as the judge counts them
 * (a duration over the job policy's budget counts as "slow"). A store that cannot be read is
 * data, as an edge that cannot be: the judgement is inconclusive.
 */
export async function jobCounters(
  ctx: Ctx,
  config: ReleaseConfig,
  stable: ReleaseRow,
  target: ReleaseRow,
): Promise<Record<string, ServiceCounters>> {
  const workers = Object.entries(config.services)
    .filter(([, s]) => s.type === "worker")
    .map(([name]) => name);
  if (!workers.length) return {};
  const budget = config.rollout?.jobPolicy?.latency?.budgetMs;
  const rows = await ctx.store.jobCounts.forReleases([stable.id, target.id]).catch((e: unknown) => ({
    error: `job counts could not be read: ${(e as Error)?.message ?? e}`,
  }));
  const arm = (release: ReleaseRow, service: string) => {
    if ("error" in rows) return rows;
    const tally: JobTally = { completed: 0, failed: 0, buckets: {} };
    for (const r of rows) {
      if (r.releaseId !== release.id || r.service !== service) continue;
      tally[r.outcome] += r.count;
      tally.buckets[r.bucket] = (tally.buckets[r.bucket] ?? 0) + r.count;
    }
    return jobArm(tally, budget);
  };
  return Object.fromEntries(
    workers.map((name) => [name, { stable: arm(stable, name), canary: arm(target, name) }]),
  );
}
