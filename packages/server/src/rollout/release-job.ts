import { chownSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ReleaseConfig, releaseJob } from "@slipway/core";
import { findByNonce } from "@slipway/driver-local";
import type { EnvironmentRow, JobStatus, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";
import { isAlive, jobExitCode, launchJob, tail } from "../release-job";

function jobFiles(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow) {
  const dir = join(ctx.paths.env(env.name).dir, "jobs");
  // Ours alone: the job (running as another user) must not be able to plant a link at its log.
  // Earlier versions handed it to the service user; take it back.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (statSync(dir).uid !== process.getuid?.()) chownSync(dir, process.getuid!(), process.getgid!());
  const base = join(dir, `v${release.number}`);
  return { dir, status: `${base}.status.json`, log: `${base}.log` };
}

export function jobOutput(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): string {
  return tail(jobFiles(ctx, env, release).log);
}

/** What the job's runner carries in its environment, so it can be found before its pid is recorded. */
const jobNonce = (release: ReleaseRow) => `job-${release.id}`;
const withJobNonce = (release: ReleaseRow, env: Record<string, string>) => ({
  ...env,
  SLIPWAY_PROCESS_NONCE: jobNonce(release),
});

export const jobLogFile = (ctx: Ctx, env: EnvironmentRow, release: ReleaseRow) =>
  jobFiles(ctx, env, release).log;

/**
 * Runs the release's job (migrations) — once: the status moves pending → running in the
 * store before the process exists, so a second control plane, or this one after a restart,
 * never launches it again.
 */
export async function runReleaseJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<void> {
  if (!(await ctx.store.releases.moveJob(release.id, "pending", "running"))) return;
  const [service, cfg] = releaseJob(release.config as ReleaseConfig)!;
  const files = jobFiles(ctx, env, release);
  await ctx.event({
    kind: "release.job.started",
    subject: release.id,
    message: `v${release.number}: running release job ${service} (${cfg.command.join(" ")})`,
  });
  const dir = await buildDir(ctx, release);
  const { argv, env: jobEnv } = launchOf(ctx, env, release, dir, service, await addonEnv(ctx, env));
  const pid = launchJob({
    argv,
    cwd: dir,
    env: withJobNonce(release, jobEnv),
    logFile: files.log,
    statusFile: files.status,
    ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
  });
  ctx.fault("job:pid-unrecorded");
  await ctx.store.releases.moveJob(release.id, "running", "running", { pid });
}

/** Reads the job's outcome and records it (guarded), including after a restart. */
export async function observeJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<JobStatus> {
  if (release.jobStatus !== "running") return release.jobStatus;
  const files = jobFiles(ctx, env, release);
  const code = jobExitCode(files.status);
  if (code === undefined && isAlive(release.jobPid)) return "running";
  // No pid recorded: we died between launching the runner and recording it. Its nonce finds
  // it if it runs; if nothing carries it, it never started (or vanished): unknown, not re-run.
  const found = code === undefined && release.jobPid === null ? findByNonce(jobNonce(release)) : undefined;
  if (found) {
    await ctx.store.releases.moveJob(release.id, "running", "running", { pid: found.pid });
    return "running";
  }
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
