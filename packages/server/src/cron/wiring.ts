import { appendFileSync, mkdirSync } from "node:fs";
import { cronServices, type JobRef } from "@slipway/core";
import type { CronRunRow, EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";
import type { CronPorts, CronTarget, RunOutcome } from "./scheduler";

/** Where a cron service's runs leave their output: one log for all its runs. */
export const cronLogFile = (ctx: Ctx, envName: string, service: string) =>
  ctx.paths.env(envName).log(`cron/${service}`);

/** A run as a job of the target: its id is its nonce too (how a runner whose pid we lost is found). */
function runRef(ctx: Ctx, run: CronRunRow): JobRef {
  const envName = run.id.split("/")[0]!;
  return { id: run.id, pid: run.pid, nonce: run.id, logFile: cronLogFile(ctx, envName, run.service) };
}

/** The scheduler's ports over the store and the target's jobs. */
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
    for (const [service, cfg] of cronServices(release.config))
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
  const addons = await addonEnv(ctx, env, release);
  const { argv, env: runEnv } = await launchOf(ctx, env, release, dir, run.service, addons);
  const { id, nonce, logFile } = runRef(ctx, run);
  mkdirSync(ctx.paths.env(env.name).logs, { recursive: true });
  appendFileSync(logFile, `--- ${run.service}: run for ${run.slot} (v${release.number}) ---\n`);
  return ctx.driver.runtime.runJob({ id, argv, cwd: dir, env: runEnv, nonce, logFile });
}

/**
 * An exit code → exited; a live runner → running; a runner that started and vanished →
 * unknown (it may have run the command); nothing at all → never started.
 */
function runOutcome(ctx: Ctx, run: CronRunRow): RunOutcome {
  return ctx.driver.runtime.jobOutcome(runRef(ctx, run));
}

/** `slipway down`: runs in flight are stopped (SIGTERM, drain, SIGKILL) and recorded as failed. */
export async function stopCronRuns(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const runs = (await ctx.store.cronRuns.unfinished()).filter((r) => r.environmentId === env.id);
  for (const run of runs) {
    const release = await ctx.store.releases.getRelease(run.releaseId);
    const drain = release?.config.services[run.service]?.drainSeconds ?? 30;
    const outcome = runOutcome(ctx, run);
    if (outcome.state === "running") await ctx.driver.runtime.stopJob(runRef(ctx, run), drain * 1000);
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
