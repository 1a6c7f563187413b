import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  configHash,
  isSlipwayError,
  longRunning,
  type RolloutStep,
  replicasAt,
  SlipwayError,
} from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow, RolloutRow } from "@slipway/store";
import { movedAddons, recordSwitches, stopProtectingReplaced } from "../backup/switch";
import type { Ctx } from "../context";
import { addonEnv, ensureReleaseInstances } from "../environment/addons";
import { syncEdge } from "../environment/edge";
import { processId, processSpec, startProcess, stopProcesses } from "../environment/processes";
import { uploadedTreeOf } from "../sources/uploaded-tree";
import { performAnalysis } from "./analysis-steps";
import { changeWithEvents } from "./record";
import { jobOutput, recordJob, runReleaseJob, stopReleaseJob } from "./release-job";
import { type RolloutWorld, stillThere, targetWeight } from "./snapshot";
import { scaleStableWorkers } from "./stable-workers";

/** Performs one planned step. Every step is safe to repeat after a crash. */
export async function perform(ctx: Ctx, w: RolloutWorld, step: RolloutStep): Promise<void> {
  switch (step.do) {
    case "build":
      return build(ctx, w);
    case "run-release-job":
      return runReleaseJob(ctx, w.env, w.target!);
    case "record-job":
      return recordJob(ctx, w.target!, step.exit);
    case "stop-job":
      return stopReleaseJob(ctx, w.env, w.target!);
    case "start-target":
      return startTarget(ctx, w);
    case "switch-traffic":
      return switchTraffic(ctx, w);
    case "stop-target":
      return stopTarget(ctx, w);
    case "restore-stable":
      return scaleStableWorkers(ctx, w, undefined);
    case "abort":
      return abort(ctx, w, new SlipwayError(step.code, step.reason));
    case "move":
      return move(ctx, w, step.to);
    case "set-weight":
    case "hold":
    case "roll-back":
    case "finish":
    case "converge-canary":
      return performAnalysis(ctx, w, step);
    case "wait":
    case "done":
      return;
  }
}

/**
 * Records why the rollout failed and moves it to `aborting`, where everything of its target
 * is stopped before it is marked failed. Only Slipway's own codes name a rollout's failure;
 * anything else is a bug, logged with its stack, and shows as SLW_INTERNAL.
 */
export async function abort(ctx: Ctx, w: RolloutWorld, e: unknown): Promise<void> {
  const known = isSlipwayError(e);
  if (!known) ctx.log.error({ err: e, rollout: w.rollout.id }, "rollout step failed");
  const code = known ? e.code : "SLW_INTERNAL";
  const message = known ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  const hint = known
    ? (e.hint ?? HINTS[code]?.replace("<the failed release>", w.target ? `v${w.target.number}` : "vN"))
    : "this is a bug in Slipway; the control plane's log has its stack";
  const output =
    code === "SLW_RELEASE_JOB_FAILED" && w.target
      ? await jobOutput(ctx, w.env, w.target)
      : known
        ? String(e.detail?.output ?? "")
        : "";
  const error = { code, message, ...(hint ? { hint } : {}), ...(output ? { output } : {}) };
  await changeWithEvents(
    ctx,
    (tx) => tx.rollouts.move(w.rollout.id, w.rollout.phase, "aborting", { error, at: ctx.now() }),
    {
      kind: "rollout.aborting",
      subject: w.rollout.id,
      message: `${w.rollout.kind} failed: ${message}; stopping what it started`,
      data: { code },
    },
  );
}

/**
 * A step that failed after the switch (the target may be live, so the rollout is not given
 * up): logged with its stack, recorded as an event, and tried again in `ms`.
 */
export async function retryLater(ctx: Ctx, rollout: RolloutRow, e: unknown, ms: number): Promise<number> {
  ctx.log.error({ err: e, rollout: rollout.id, phase: rollout.phase }, "rollout step failed; retrying");
  await ctx.event({
    kind: "rollout.retry",
    subject: rollout.id,
    message: `${rollout.phase}: ${(e as Error)?.message ?? String(e)}; trying again in ${ms / 1000} s`,
  });
  return ms;
}

const HINTS: Record<string, string> = {
  SLW_RELEASE_JOB_FAILED:
    "fix the job (see its output above) and deploy again; the live release keeps serving",
  SLW_UNHEALTHY:
    "see why with `slipway logs <service> --release <the failed release>`; the live release keeps serving",
  SLW_BUILD_FAILED: "fix the build and deploy again; the live release is untouched",
};

async function build(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const source = w.rollout.source ?? "working tree";
  const config = w.rollout.config;
  const uploaded = uploadedTreeOf(source);
  const b = await ctx.driver.builder.build({
    // An uploaded tree was written out under the data directory when the deploy was asked for.
    sourceDir: uploaded ? join(ctx.paths.sources, uploaded) : ctx.projectDir,
    ...(uploaded ? { gitSha: null } : source !== "working tree" ? { ref: source } : {}),
    ...(config.build?.command ? { command: config.build.command } : {}),
    progress: (message) => {
      ctx.fault("build:progress");
      void ctx.event({ kind: "build.progress", subject: w.rollout.id, message });
    },
  });
  await ctx.store.releases.upsertBuild({
    id: b.id,
    stackId: ctx.stackId,
    source,
    gitSha: b.gitSha,
    dir: b.location,
  });
  await ctx.store.releases.finishBuild(b.id, "ready", b.output);
  // The release, the rollout pointing at it and the event: one transaction.
  await ctx.store.transaction(async (tx) => {
    const r = await tx.releases.createRelease({
      environmentId: w.env.id,
      buildId: b.id,
      config,
      configHash: configHash(config),
      description: `deploy of ${source}${b.gitSha ? ` @ ${b.gitSha.slice(0, 8)}` : ""}`,
      rollbackOf: null,
      jobStatus: Object.values(config.services).some((s) => s.type === "release") ? "pending" : "none",
    });
    await tx.rollouts.move(w.rollout.id, w.rollout.phase, w.rollout.phase, {
      toReleaseId: r.id,
      at: ctx.now(),
    });
    await tx.events.append({
      actor: "control-plane",
      kind: "release.created",
      subject: r.id,
      message: `v${r.number} created: build ${b.id.slice(0, 12)}${b.cached ? " (cached)" : ""}, config ${r.configHash}`,
      data: { release: r.number, build: b.id, cached: b.cached },
    });
  });
}

/**
 * Starts every wanted replica of the target that does not run yet, all at once (boot time,
 * not the sum of boot times, is what a deploy waits for). The row and its nonce are written
 * before each spawn. Every start is attempted before a failure is reported, so nothing is
 * still being spawned when the rollout aborts.
 */
export async function startTarget(ctx: Ctx, w: RolloutWorld, weight = targetWeight(w)): Promise<void> {
  await ensureReleaseInstances(ctx, w.env, w.target!);
  // A canary runs its share of each worker's replicas (see `replicasAt`).
  const wanted = longRunning(w.target!.config).flatMap(([service, cfg]) =>
    Array.from({ length: replicasAt(cfg, weight) }, (_, i) => ({ service, replica: i + 1 })),
  );
  await startReplicas(ctx, w.env, w.target!, w.targetProcesses, wanted);
}

/**
 * Starts the named replicas of a release that do not run yet (`rows`: the release's recorded
 * processes), all at once, each row written before its spawn.
 */
export async function startReplicas(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  rows: ProcessRow[],
  wanted: { service: string; replica: number }[],
): Promise<void> {
  const config = release.config;
  const addons = await addonEnv(ctx, env, release);
  const dir = (await ctx.store.releases.getBuild(release.buildId))!.dir;
  const existing = new Map(rows.map((p) => [p.id, p]));
  const results = await Promise.allSettled(
    wanted.map(async ({ service, replica }) => {
      const cfg = config.services[service]!;
      const id = processId(env.name, release.number, service, replica);
      const row = existing.get(id);
      if (row?.desired === "running" && row.pid !== null) return;
      // A row whose process may still run keeps its port (as `plan` does in the store).
      const port =
        row && row.pid !== null
          ? row.port
          : cfg.type === "web"
            ? await ctx.driver.runtime.allocatePort()
            : null;
      const planned = {
        id,
        environmentId: env.id,
        releaseId: release.id,
        service,
        replica,
        port,
        nonce: randomBytes(12).toString("hex"),
      };
      await ctx.store.processes.plan(planned);
      await startProcess(ctx, await processSpec(ctx, env, release, dir, planned, addons));
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * The switch, in one idempotent step: the target becomes live and the previous release's
 * processes leave traffic (one transaction), the edge converges to that, and the rollout
 * succeeds. The old processes drain in the background; nothing here waits for them.
 */
async function switchTraffic(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const target = w.target!;
  const from = w.rollout.fromReleaseId
    ? await ctx.store.releases.getRelease(w.rollout.fromReleaseId)
    : undefined;
  // From the releases, not the rows: repeated after a crash, it still finds what was replaced.
  const moved = movedAddons(await ctx.store.environments.addons(w.env.id), from?.addonInstances, target);
  await ctx.store.transaction(async (tx) => {
    await tx.environments.switchLive(w.env.id, w.env.liveReleaseId, target.id);
    // The add-ons follow the live release onto the instances it uses (a switched-to copy, or back).
    if (target.addonInstances) await tx.environments.pointAddonsAt(w.env.id, target.addonInstances);
    await recordSwitches(tx, moved, ctx.now());
    await tx.processes.retire(w.oldProcesses.map((p) => p.id));
  });
  for (const p of w.oldProcesses) ctx.driver.runtime.retire(p.id);
  ctx.fault("switch:recorded");
  await stopProtectingReplaced(ctx, w.env, moved);
  // The environment as the transaction above left it: no need to read it again.
  await syncEdge(ctx, { ...w.env, liveReleaseId: target.id });
  ctx.drainer.kick();
  await changeWithEvents(
    ctx,
    (tx) => tx.rollouts.move(w.rollout.id, "switching", "succeeded", { at: ctx.now() }),
    {
      kind: "traffic.switched",
      subject: w.env.id,
      message:
        w.rollout.kind === "restore"
          ? `v${target.number} serves again`
          : `traffic switched to v${target.number}${w.oldProcesses.length ? "; the previous release drains in the background" : ""}`,
      data: { release: target.number },
    },
    {
      kind: "rollout.succeeded",
      subject: w.rollout.id,
      message: `v${target.number} is live`,
      data: { phase: "succeeded", release: target.number },
    },
  );
}

/** Stops every process of a target that never took traffic (an aborting rollout). */
async function stopTarget(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const rows = w.targetProcesses.filter(stillThere);
  for (const r of rows) await ctx.store.processes.setDesired(r.id, "stopped");
  await syncEdge(ctx, w.env);
  await stopProcesses(ctx, rows);
}

async function move(ctx: Ctx, w: RolloutWorld, to: string): Promise<void> {
  const n = w.target ? `v${w.target.number}` : "the new release";
  const e = w.rollout.error;
  await changeWithEvents(
    ctx,
    (tx) => tx.rollouts.move(w.rollout.id, w.rollout.phase, to, { at: ctx.now() }),
    to === "failed"
      ? {
          kind: "rollout.failed",
          subject: w.rollout.id,
          message: `${w.rollout.kind} failed: ${e?.message ?? "unknown"}; nothing of ${n} runs`,
          data: { code: e?.code ?? "SLW_INTERNAL" },
        }
      : {
          kind: to === "succeeded" ? "rollout.succeeded" : "rollout.phase",
          subject: w.rollout.id,
          message: to === "succeeded" ? `${n} is live` : `${w.rollout.kind} ${n}: ${to}`,
          data: { phase: to, release: w.target?.number },
        },
  );
}
