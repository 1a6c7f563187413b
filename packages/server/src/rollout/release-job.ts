import { join } from "node:path";
import { type FlagState, type JobRef, jobGate, releaseJob } from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";
import { seedDue, seededJob } from "../environment/seed";
import { changeWithEvents } from "./record";

/** How much of a failed job's output its rollout's error carries. */
const OUTPUT_CHARS = 4000;

/** Where a release's job writes its output: one log per release. */
export const jobLogFile = (ctx: Ctx, env: EnvironmentRow, release: ReleaseRow) =>
  join(ctx.paths.env(env.name).dir, "jobs", `v${release.number}.log`);

/**
 * What the control plane knows of the release's job. Its nonce is carried in the job's
 * environment, so it can be found before its pid is recorded.
 */
export function jobRef(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): JobRef {
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
 * store (with its event, one transaction) before the process exists, so a second control
 * plane, or this one after a restart, never launches it again. Planned again only when the
 * target says it never got going (we died between that move and the launch).
 */
export async function runReleaseJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<void> {
  const [service, cfg] = releaseJob(release.config)!;
  const seed = (await seedDue(ctx, env, release)) ? release.config.seed : undefined;
  if (release.jobStatus === "pending") {
    const stored = (await ctx.store.flags.list(env.id)).find((f) => f.name === cfg.gatedBy)?.state;
    const gate = jobGate(
      { name: service, gatedBy: cfg.gatedBy },
      release.config.flags,
      stored as FlagState | undefined,
    );
    // Skipped is done for this release: the rollout goes on, and the next deploy asks again.
    if (!gate.run) {
      await changeWithEvents(ctx, (tx) => tx.releases.moveJob(release.id, "pending", "succeeded"), {
        kind: "release.job.skipped",
        subject: release.id,
        message: `v${release.number}: release job skipped: ${gate.reason}`,
        data: { flag: cfg.gatedBy },
      });
      return;
    }
    const moved = await changeWithEvents(ctx, (tx) => tx.releases.moveJob(release.id, "pending", "running"), {
      kind: "release.job.started",
      subject: release.id,
      message: `v${release.number}: running release job ${service} (${cfg.command.join(" ")})${
        seed ? `, then the seed (${seed.join(" ")}): the database is new` : ""
      }`,
      ...(seed ? { data: { seed } } : {}),
    });
    if (!moved) return;
  }
  const dir = await buildDir(ctx, release);
  const addons = await addonEnv(ctx, env, release);
  const launched = seed
    ? {
        ...release,
        config: {
          ...release.config,
          services: { ...release.config.services, [service]: seededJob(cfg, seed) },
        },
      }
    : release;
  const { argv, env: jobEnv } = await launchOf(ctx, env, launched, dir, service, addons);
  const { id, nonce, logFile } = jobRef(ctx, env, release);
  const pid = await ctx.driver.runtime.runJob({ id, argv, cwd: dir, env: jobEnv, nonce, logFile });
  ctx.fault("job:pid-unrecorded");
  await ctx.store.releases.moveJob(release.id, "running", "running", { pid });
}

/**
 * Writes the job's outcome down (guarded, with its event): its exit code, or null when it
 * ended without one (its runner vanished); such a job is never run again, as it may have run.
 */
export async function recordJob(ctx: Ctx, release: ReleaseRow, exit: number | null): Promise<void> {
  const status = exit === 0 ? "succeeded" : "failed";
  await changeWithEvents(
    ctx,
    (tx) => tx.releases.moveJob(release.id, "running", status, { exit: exit ?? -1 }),
    {
      kind: `release.job.${status}`,
      subject: release.id,
      message:
        exit === null
          ? `v${release.number}: the release job's outcome is unknown (its runner vanished); not re-running it`
          : `v${release.number}: release job exited with ${exit}`,
    },
  );
}

/** Stops the job of a rollout that is aborting; its outcome is recorded by the next look. */
export async function stopReleaseJob(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<void> {
  const [, cfg] = releaseJob(release.config)!;
  await ctx.driver.runtime.stopJob(jobRef(ctx, env, release), cfg.drainSeconds * 1000);
}
