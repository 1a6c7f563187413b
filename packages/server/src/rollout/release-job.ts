import { join } from "node:path";
import { type JobRef, releaseJob } from "@slipway/core";
import type { EnvironmentRow, JobStatus, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";

/** How much of a failed job's output its rollout's error carries. */
const OUTPUT_CHARS = 4000;

/** Where a release's job writes its output: one log per release. */
export const jobLogFile = (ctx: Ctx, env: EnvironmentRow, release: ReleaseRow) =>
  join(ctx.paths.env(env.name).dir, "jobs", `v${release.number}.log`);

/**
 * What the control plane knows of the release's job. Its nonce is carried in the job's
 * environment, so it can be found before its pid is recorded.
 */
function jobRef(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): JobRef {
  const [service] = releaseJob(release.config)!;
  return {
    id: `${env.name}/v${release.number}/${service}`,
    pid: release.jobPid,
    nonce: `job-${release.id}`,
    logFile: jobLogFile(ctx, env, release),
  };
}

/** The end of the job's output, for the error of a rollout whose job failed. */
export async function jobOutput(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<string> {
  const lines: string[] = [];
  for await (const line of ctx.driver.runtime.logs(jobLogFile(ctx, env, release), { lines: 200 }))
    lines.push(line);
  return lines.length ? `${lines.join("\n")}\n`.slice(-OUTPUT_CHARS) : "";
}

/**
 * Runs the release's job (migrations) — once: the status moves pending → running in the
 * store before the process exists, so a second control plane, or this one after a restart,
 * never launches it again.
 */
export async function runReleaseJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<void> {
  if (!(await ctx.store.releases.moveJob(release.id, "pending", "running"))) return;
  const [service, cfg] = releaseJob(release.config)!;
  await ctx.event({
    kind: "release.job.started",
    subject: release.id,
    message: `v${release.number}: running release job ${service} (${cfg.command.join(" ")})`,
  });
  const dir = await buildDir(ctx, release);
  const addons = await addonEnv(ctx, env, release.config);
  const { argv, env: jobEnv } = await launchOf(ctx, env, release, dir, service, addons);
  const { id, nonce, logFile } = jobRef(ctx, env, release);
  const pid = await ctx.driver.runtime.runJob({ id, argv, cwd: dir, env: jobEnv, nonce, logFile });
  ctx.fault("job:pid-unrecorded");
  await ctx.store.releases.moveJob(release.id, "running", "running", { pid });
}

/** Reads the job's outcome and records it (guarded), including after a restart. */
export async function observeJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<JobStatus> {
  if (release.jobStatus !== "running") return release.jobStatus;
  const outcome = ctx.driver.runtime.jobOutcome(jobRef(ctx, env, release));
  if (outcome.state === "running") {
    // Found by its nonce: we died between launching it and recording its pid.
    if (outcome.pid !== release.jobPid)
      await ctx.store.releases.moveJob(release.id, "running", "running", { pid: outcome.pid });
    return "running";
  }
  // Never started or vanished without an exit code: unknown, and never re-run (it may have run).
  const code = outcome.state === "exited" ? outcome.code : undefined;
  const status = code === 0 ? "succeeded" : "failed";
  await ctx.store.releases.moveJob(release.id, "running", status, { exit: code ?? -1 });
  await ctx.event({
    kind: `release.job.${status}`,
    subject: release.id,
    message:
      code === undefined
        ? `v${release.number}: the release job's outcome is unknown (its runner vanished); not re-running it`
        : `v${release.number}: release job exited with ${code}`,
  });
  return status;
}
