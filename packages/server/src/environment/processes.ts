import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  type ProcessHealth,
  type ProcessLaunch,
  type ProcessSpec,
  type ProcessTrace,
  processLaunch,
  type ServiceConfig,
  servicePath,
  statusRanges,
} from "@slipway/core";
import type { EnvironmentRow, ProcessRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { flagsEnv } from "../flags";
import { jobsReportEnv } from "../rollout/job-stats";
import { secretEnv } from "../secrets/publish";
import { secretsStreamEnv } from "../secrets/stream";
import { type AddonEnv, addonEnv } from "./addons";

/**
 * What every process of a build starts from. Nothing of the control plane's environment:
 * PATH is the build's node_modules/.bin, the node running Slipway, then the system's.
 */
export const baseEnv = (buildDir: string): Record<string, string> => ({
  PATH: servicePath(buildDir, process.execPath),
  LANG: "C.UTF-8",
});

/**
 * A service's persistent directory (`volume: true`): per environment and service, not per
 * release, so every release, release job and cron run of the service sees the same files.
 * Created on first use by the target, for whoever runs the service's processes.
 */
export async function ensureVolume(ctx: Ctx, envName: string, service: string): Promise<string> {
  const dir = volumePath(ctx, envName, service);
  await ctx.driver.runtime.ensureVolume(dir);
  return dir;
}

export const volumePath = (ctx: Ctx, envName: string, service: string) =>
  join(ctx.paths.env(envName).dir, "volumes", service);

/**
 * The argv and environment of any process of a service (long-running, release job, cron run):
 * one definition, so all three see the same variables and the same PATH.
 */
export async function launchOf(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  dir: string,
  service: string,
  addons: AddonEnv,
  port?: number,
): Promise<ProcessLaunch> {
  const cfg = release.config.services[service] as ServiceConfig;
  return processLaunch({
    service,
    config: cfg,
    environment: env.name,
    release: release.number,
    build: release.buildId,
    ...(port !== undefined ? { port } : {}),
    ...(cfg.volume ? { volume: await ensureVolume(ctx, env.name, service) } : {}),
    base: {
      ...baseEnv(dir),
      ...flagsEnv(ctx, env, release),
      ...secretsStreamEnv(ctx, env, release.config, service),
      ...jobsReportEnv(ctx, env, release, service),
    },
    addons,
    serviceUrls: serviceUrls(env),
    secrets: await secretEnv(ctx, env, release.config, service),
  });
}

export const processId = (env: string, release: number, service: string, replica: number) =>
  `${env}/v${release}/${service}/${replica}`;

export function serviceUrls(env: EnvironmentRow): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env.internalPorts).map(([s, port]) => [s, `http://127.0.0.1:${port}`]),
  );
}

export async function buildDir(ctx: Ctx, release: ReleaseRow): Promise<string> {
  return (await ctx.store.releases.getBuild(release.buildId))!.dir;
}

/** The nonce the process carries, so that it can be found before its pid is recorded. */
const withNonce = (nonce: string | null, env: Record<string, string>) =>
  nonce ? { ...env, SLIPWAY_PROCESS_NONCE: nonce } : env;

export async function processSpec(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  dir: string,
  row: Pick<ProcessRow, "id" | "service" | "port" | "nonce">,
  addons: AddonEnv,
): Promise<ProcessSpec> {
  const cfg = release.config.services[row.service] as ServiceConfig;
  mkdirSync(ctx.paths.env(env.name).logs, { recursive: true });
  const { argv, env: processEnv } = await launchOf(
    ctx,
    env,
    release,
    dir,
    row.service,
    addons,
    row.port ?? undefined,
  );
  return {
    id: row.id,
    argv,
    cwd: dir,
    env: withNonce(row.nonce, processEnv),
    logFile: ctx.paths.env(env.name).log(row.id),
    drainSeconds: cfg.drainSeconds,
    health: processHealth(cfg, row.port),
  };
}

/** How the supervisor decides a new process is ready, from its service's health check. */
function processHealth(cfg: ServiceConfig, port: number | null): ProcessHealth {
  const h = cfg.health;
  if (cfg.type !== "web" || port === null || h?.kind === "process") return { kind: "liveness" };
  if (h?.kind === "tcp") return { kind: "tcp", port };
  return {
    kind: "http",
    url: `http://127.0.0.1:${port}${h?.path ?? "/healthz"}`,
    expect: statusRanges(h?.expect),
  };
}

/** Starts one recorded process and writes its pid back (the row, with its nonce, was written first). */
export async function startProcess(ctx: Ctx, spec: ProcessSpec): Promise<void> {
  const h = await ctx.driver.runtime.start(spec);
  ctx.fault("spawned:pid-unrecorded");
  await ctx.store.processes.started(spec.id, h.pid, h.startTime);
  await ctx.event({
    kind: "process.started",
    subject: spec.id,
    message: `started ${spec.id}`,
    data: { pid: h.pid },
  });
}

/**
 * Stops processes now (SIGTERM, their drain time, SIGKILL), recording the intent first; every
 * one is attempted even when another fails, and each is recorded gone once it is.
 */
export async function stopProcesses(ctx: Ctx, rows: ProcessRow[]): Promise<void> {
  for (const r of rows) await ctx.store.processes.setDesired(r.id, "stopped");
  const results = await Promise.allSettled(
    rows.map(async (r) => {
      await ctx.driver.runtime.stop(r.id);
      await ctx.store.processes.gone(r.id);
    }),
  );
  if (rows.length)
    await ctx.event({
      kind: "process.stopped",
      subject: rows[0]!.environmentId,
      message: `stopped ${rows.map((r) => r.id).join(", ")}`,
    });
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * After a control-plane restart (or a reboot): every recorded process that still runs is
 * adopted, found by pid and start time, or by its nonce when the control plane died between
 * spawning it and recording its pid; nothing is left orphaned. Processes that no longer run
 * are recorded as gone: whoever wants them (the rollout in flight, or `up` restoring the live
 * release) starts them again, and waits for their health before calling anything "up".
 * Stopped-but-alive processes are stopped, except draining ones, which the drainer finishes.
 */
export async function adoptProcesses(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  // What each release's processes need, read once per release, not once per process.
  const releases = new Map<string, { release: ReleaseRow; dir: string; addons: AddonEnv }>();
  for (const row of await ctx.store.processes.forEnvironment(env.id)) {
    if (row.state === "stopped" && row.pid === null) continue;
    let r = releases.get(row.releaseId);
    if (!r) {
      const release = (await ctx.store.releases.getRelease(row.releaseId))!;
      r = { release, dir: await buildDir(ctx, release), addons: await addonEnv(ctx, env, release) };
      releases.set(release.id, r);
    }
    const spec = await processSpec(ctx, env, r.release, r.dir, row, r.addons);
    const trace: ProcessTrace | undefined =
      row.pid && row.startTime
        ? { pid: row.pid, startTime: row.startTime }
        : row.nonce
          ? { nonce: row.nonce }
          : undefined;
    const adopted = trace ? ctx.driver.runtime.adopt(spec, trace) : undefined;
    if (!adopted) {
      await ctx.store.processes.gone(row.id);
      continue;
    }
    if (adopted.pid !== row.pid) await ctx.store.processes.started(row.id, adopted.pid, adopted.startTime);
    if (row.desired === "stopped" && row.state === "draining") ctx.driver.runtime.retire(row.id);
    else if (row.desired === "stopped") await stopProcesses(ctx, [row]);
  }
}
