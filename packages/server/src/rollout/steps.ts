import { configHash, longRunning, type ReleaseConfig, type RolloutStep } from "@slipway/core";
import { freePort } from "@slipway/driver-local";
import type { ProcessRow } from "@slipway/store";
import { makeBuild } from "../builds";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { syncEdge } from "../environment/edge";
import { processId, processSpec, startProcess, stopProcesses } from "../environment/processes";
import { runReleaseJob } from "./release-job";
import type { RolloutWorld } from "./snapshot";

/** Performs one planned step. Every step is safe to repeat after a crash. */
export async function perform(ctx: Ctx, w: RolloutWorld, step: RolloutStep): Promise<void> {
  switch (step.do) {
    case "build":
      return build(ctx, w);
    case "run-release-job":
      return runReleaseJob(ctx, w.env, w.target!);
    case "start-target":
      return startTarget(ctx, w);
    case "switch-traffic":
      return switchTraffic(ctx, w);
    case "stop-old":
      return retire(ctx, w, w.oldProcesses);
    case "abandon":
      await retire(ctx, w, w.targetProcesses);
      throw Object.assign(new Error(step.reason), { code: step.code });
    case "move":
      return move(ctx, w, step.to);
    case "fail":
      throw Object.assign(new Error(step.reason), { code: step.code });
    case "wait":
    case "done":
      return;
  }
}

async function build(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const source = w.rollout.source ?? "working tree";
  const b = await makeBuild({
    sourceDir: ctx.projectDir,
    ...(source !== "working tree" ? { ref: source } : {}),
    buildsDir: ctx.paths.builds,
    depsDir: ctx.paths.deps,
    ...(ctx.stack.build.command ? { command: ctx.stack.build.command } : {}),
    runAs: ctx.runAs,
    progress: (message) => void ctx.event({ kind: "build.progress", subject: w.rollout.id, message }),
  });
  await ctx.store.releases.upsertBuild({
    id: b.id,
    stackId: ctx.stackId,
    source,
    gitSha: b.gitSha,
    dir: b.dir,
  });
  await ctx.store.releases.finishBuild(b.id, "ready", b.output);
  const config = w.rollout.config as ReleaseConfig;
  const release = await ctx.store.transaction(async (tx) => {
    const r = await tx.releases.createRelease({
      environmentId: w.env.id,
      buildId: b.id,
      config,
      configHash: configHash(config),
      description: `deploy of ${source}${b.gitSha ? ` @ ${b.gitSha.slice(0, 8)}` : ""}`,
      rollbackOf: null,
      jobStatus: Object.values(config.services).some((s) => s.type === "release") ? "pending" : "none",
    });
    await tx.rollouts.move(w.rollout.id, w.rollout.phase, w.rollout.phase, { toReleaseId: r.id });
    return r;
  });
  await ctx.event({
    kind: "release.created",
    subject: release.id,
    message: `v${release.number} created: build ${b.id.slice(0, 12)}${b.cached ? " (cached)" : ""}, config ${release.configHash}`,
    data: { release: release.number, build: b.id, cached: b.cached },
  });
}

async function startTarget(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const release = w.target!;
  const config = release.config as ReleaseConfig;
  const addons = await addonEnv(ctx, w.env);
  const dir = (await ctx.store.releases.getBuild(release.buildId))!.dir;
  const existing = new Map(w.targetProcesses.map((p) => [p.id, p]));
  const wanted = longRunning(config).flatMap(([service, cfg]) =>
    Array.from({ length: cfg.replicas }, (_, i) => ({ service, cfg, replica: i + 1 })),
  );
  // All at once: boot time, not the sum of boot times, is what a deploy waits for.
  await Promise.all(
    wanted.map(async ({ service, cfg, replica }) => {
      const id = processId(w.env.name, release.number, service, replica);
      if (existing.get(id)?.pid) return;
      const port = cfg.type === "web" ? await freePort() : null;
      await ctx.store.processes.plan({
        id,
        environmentId: w.env.id,
        releaseId: release.id,
        service,
        replica,
        port,
      });
      const row = (await ctx.store.processes.forEnvironment(w.env.id)).find((p) => p.id === id)!;
      await startProcess(ctx, processSpec(ctx, w.env, release, dir, row, addons));
    }),
  );
}

async function switchTraffic(ctx: Ctx, w: RolloutWorld): Promise<void> {
  const target = w.target!;
  await ctx.store.environments.switchLive(w.env.id, w.env.liveReleaseId, target.id);
  const env = (await ctx.store.environments.list()).find((e) => e.id === w.env.id)!;
  await syncEdge(ctx, env);
  await ctx.event({
    kind: "traffic.switched",
    subject: w.env.id,
    message: `traffic switched to v${target.number}`,
    data: { release: target.number },
  });
}

/** Takes processes out of the edge (after in-flight requests), then stops them gracefully. */
async function retire(ctx: Ctx, w: RolloutWorld, rows: ProcessRow[]): Promise<void> {
  for (const r of rows) await ctx.store.processes.setDesired(r.id, "stopped");
  const env = (await ctx.store.environments.list()).find((e) => e.id === w.env.id)!;
  await syncEdge(ctx, env);
  await stopProcesses(ctx, rows);
}

async function move(ctx: Ctx, w: RolloutWorld, to: string): Promise<void> {
  if (!(await ctx.store.rollouts.move(w.rollout.id, w.rollout.phase, to))) return;
  const n = w.target ? `v${w.target.number}` : "the new release";
  await ctx.event({
    kind: to === "succeeded" ? "rollout.succeeded" : "rollout.phase",
    subject: w.rollout.id,
    message: to === "succeeded" ? `${n} is live` : `${w.rollout.kind} ${n}: ${to}`,
    data: { phase: to, release: w.target?.number },
  });
}
