import { appendFileSync, chownSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cronServices, type ReleaseConfig } from "@slipway/core";
import { findByNonce, terminateGroup } from "@slipway/driver-local";
import type { CronRunRow, EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";
import { isAlive, jobExitCode, launchJob } from "../release-job";
import type { CronPorts, CronTarget, RunOutcome } from "./scheduler";

/** Where a cron service's runs leave their output (one log for all runs) and exit codes. */
export function cronFiles(ctx: Ctx, envName: string) {
  const dir = join(ctx.paths.env(envName).dir, "cron");
  return {
    dir,
    log: (service: string) => ctx.paths.env(envName).log(`cron/${service}`),
    status: (runId: string) => join(dir, `${runId.replace(/[^A-Za-z0-9.-]/g, "_")}.status.json`),
  };
}

/** The scheduler's ports over the store, the release job runner and /proc. */
export function cronPorts(ctx: Ctx): CronPorts {
  return {
    runs: ctx.store.cronRuns,
    targets: () => cronTargets(ctx),
    launch: (run) => launchRun(ctx, run),
    outcome: (run) => runOutcome(ctx, run),
    event: (e) => ctx.event(e),
    now: ctx.now,
  };
}

async function cronTargets(ctx: Ctx): Promise<CronTarget[]> {
  const targets: CronTarget[] = [];
  for (const env of await ctx.store.environments.list()) {
    if (env.desired !== "active" || !env.liveReleaseId) continue;
    const release = (await ctx.store.releases.getRelease(env.liveReleaseId))!;
    for (const [service, cfg] of cronServices(release.config as ReleaseConfig))
      targets.push({
        environmentId: env.id,
        environment: env.name,
        releaseId: release.id,
        release: release.number,
        service,
        schedule: cfg.schedule,
      });
  }
  return targets;
}

/** One run: the release's build and config, the same environment a service of it gets. */
async function launchRun(ctx: Ctx, run: CronRunRow): Promise<number> {
  const env = await environmentOf(ctx, run.environmentId);
  const release = (await ctx.store.releases.getRelease(run.releaseId))!;
  const dir = await buildDir(ctx, release);
  const { argv, env: runEnv } = launchOf(ctx, env, release, dir, run.service, await addonEnv(ctx, env));
  const files = cronFiles(ctx, env.name);
  mkdirSync(files.dir, { recursive: true, mode: 0o755 });
  // The runner (as the service user) writes its pid and exit code here, as for release jobs.
  if (ctx.runAs) chownSync(files.dir, ctx.runAs.uid, ctx.runAs.gid);
  const log = files.log(run.service);
  mkdirSync(ctx.paths.env(env.name).logs, { recursive: true });
  appendFileSync(log, `--- ${run.service}: run for ${run.slot} (v${release.number}) ---\n`);
  return launchJob({
    argv,
    cwd: dir,
    // How a control plane that died before storing the pid finds this runner (findByNonce).
    env: { ...runEnv, SLIPWAY_PROCESS_NONCE: run.id },
    logFile: log,
    statusFile: files.status(run.id),
    ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
  });
}

/**
 * Exit code file → exited; a live runner (by pid, or by its nonce when we died before storing
 * the pid) → running; a pid file but no runner → unknown (it may have run
 * the command); nothing at all → never started.
 */
function runOutcome(ctx: Ctx, run: CronRunRow): RunOutcome {
  const envName = run.id.split("/")[0]!;
  const statusFile = cronFiles(ctx, envName).status(run.id);
  const code = jobExitCode(statusFile);
  if (code !== undefined) return { state: "exited", code };
  const pid = run.pid ?? findByNonce(run.id)?.pid;
  if (pid && isAlive(pid)) return { state: "running", pid };
  return existsSync(`${statusFile}.pid`) || run.pid ? { state: "unknown" } : { state: "not-started" };
}

/** `slipway down`: runs in flight are stopped (SIGTERM, drain, SIGKILL) and recorded as failed. */
export async function stopCronRuns(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const runs = (await ctx.store.cronRuns.unfinished()).filter((r) => r.environmentId === env.id);
  for (const run of runs) {
    const release = await ctx.store.releases.getRelease(run.releaseId);
    const drain = (release?.config as ReleaseConfig | undefined)?.services[run.service]?.drainSeconds ?? 30;
    const outcome = runOutcome(ctx, run);
    if (outcome.state === "running") await terminateGroup(outcome.pid, drain * 1000);
    const code = outcome.state === "exited" ? outcome.code : null;
    if (
      await ctx.store.cronRuns.finish(
        run.id,
        code === 0 ? "succeeded" : "failed",
        code,
        new Date(ctx.now()).toISOString(),
      )
    )
      await ctx.event({
        kind: "cron.run.stopped",
        subject: run.id,
        message: `${run.service}: the run for ${run.slot} was stopped by slipway down`,
      });
  }
}

async function environmentOf(ctx: Ctx, id: string): Promise<EnvironmentRow> {
  return (await ctx.store.environments.list()).find((e) => e.id === id)!;
}
