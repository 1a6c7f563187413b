import { mkdirSync } from "node:fs";
import { processEnv, type ReleaseConfig, type ServiceConfig } from "@slipway/core";
import { findByNonce, type ProcessSpec } from "@slipway/driver-local";
import type { EnvironmentRow, ProcessRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import type { AddonEnv } from "./addons";

/** What every process inherits from the control plane: enough to find its runtime. */
export const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  LANG: "C.UTF-8",
});

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

export function processSpec(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  dir: string,
  row: Pick<ProcessRow, "id" | "service" | "port" | "nonce">,
  addons: AddonEnv,
): ProcessSpec {
  const cfg = (release.config as ReleaseConfig).services[row.service] as ServiceConfig;
  mkdirSync(ctx.paths.env(env.name).logs, { recursive: true });
  return {
    id: row.id,
    argv: cfg.command,
    cwd: dir,
    env: withNonce(
      row.nonce,
      processEnv({
        service: row.service,
        config: cfg,
        environment: env.name,
        release: release.number,
        build: release.buildId,
        ...(row.port !== null ? { port: row.port } : {}),
        base: baseEnv(),
        addons,
        serviceUrls: serviceUrls(env),
      }),
    ),
    logFile: ctx.paths.env(env.name).log(row.id),
    ...(ctx.runAs ? { runAs: { uid: ctx.runAs.uid, gid: ctx.runAs.gid } } : {}),
    drainSeconds: cfg.drainSeconds,
    health:
      cfg.type === "web" && row.port !== null
        ? { kind: "http", url: `http://127.0.0.1:${row.port}${cfg.health?.path ?? "/healthz"}` }
        : { kind: "liveness" },
  };
}

/** Starts one recorded process and writes its pid back (the row, with its nonce, was written first). */
export async function startProcess(ctx: Ctx, spec: ProcessSpec): Promise<void> {
  const h = await ctx.supervisor.start(spec);
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
      await ctx.supervisor.stop(r.id);
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
export async function adoptProcesses(ctx: Ctx, env: EnvironmentRow, addons: AddonEnv): Promise<void> {
  for (const row of await ctx.store.processes.forEnvironment(env.id)) {
    if (row.state === "stopped" && row.pid === null) continue;
    const release = (await ctx.store.releases.getRelease(row.releaseId))!;
    const spec = processSpec(ctx, env, release, await buildDir(ctx, release), row, addons);
    const found =
      row.pid && row.startTime
        ? { pid: row.pid, startTime: row.startTime }
        : row.nonce
          ? findByNonce(row.nonce)
          : undefined;
    const adopted = found ? ctx.supervisor.adopt(spec, { id: row.id, ...found }) : false;
    if (!adopted) {
      await ctx.store.processes.gone(row.id);
      continue;
    }
    if (found!.pid !== row.pid) await ctx.store.processes.started(row.id, found!.pid, found!.startTime);
    if (row.desired === "stopped" && row.state === "draining") ctx.supervisor.retire(row.id);
    else if (row.desired === "stopped") await stopProcesses(ctx, [row]);
  }
}
