import { mkdirSync } from "node:fs";
import { processEnv, type ReleaseConfig, type ServiceConfig } from "@slipway/core";
import type { ProcessSpec } from "@slipway/driver-local";
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

export function processSpec(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  dir: string,
  row: Pick<ProcessRow, "id" | "service" | "port">,
  addons: AddonEnv,
): ProcessSpec {
  const cfg = (release.config as ReleaseConfig).services[row.service] as ServiceConfig;
  mkdirSync(ctx.paths.env(env.name).logs, { recursive: true });
  return {
    id: row.id,
    argv: cfg.command,
    cwd: dir,
    env: processEnv({
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
    logFile: ctx.paths.env(env.name).log(row.id),
    ...(ctx.runAs ? { runAs: { uid: ctx.runAs.uid, gid: ctx.runAs.gid } } : {}),
    drainSeconds: cfg.drainSeconds,
    health:
      cfg.type === "web" && row.port !== null
        ? { kind: "http", url: `http://127.0.0.1:${row.port}${cfg.health?.path ?? "/healthz"}` }
        : { kind: "liveness" },
  };
}

/** Starts one recorded process and writes its pid back (the row was written first). */
export async function startProcess(ctx: Ctx, spec: ProcessSpec): Promise<void> {
  const h = await ctx.supervisor.start(spec);
  await ctx.store.processes.started(spec.id, h.pid, h.startTime);
  await ctx.event({
    kind: "process.started",
    subject: spec.id,
    message: `started ${spec.id}`,
    data: { pid: h.pid },
  });
}

/** Stops processes gracefully (SIGTERM, drain, SIGKILL), recording the intent first. */
export async function stopProcesses(ctx: Ctx, rows: ProcessRow[]): Promise<void> {
  for (const r of rows) await ctx.store.processes.setDesired(r.id, "stopped");
  await Promise.all(
    rows.map(async (r) => {
      await ctx.supervisor.stop(r.id);
      await ctx.store.processes.setState(r.id, "stopped");
    }),
  );
  if (rows.length)
    await ctx.event({
      kind: "process.stopped",
      subject: rows[0]!.environmentId,
      message: `stopped ${rows.map((r) => r.id).join(", ")}`,
    });
}

/**
 * After a control-plane restart: every process the store wants running is adopted when
 * its pid is still ours (same start time), else started again; processes the store wants
 * stopped but that still run (killed mid-stop) are stopped. Nothing is left orphaned.
 */
export async function adoptProcesses(ctx: Ctx, env: EnvironmentRow, addons: AddonEnv): Promise<void> {
  for (const row of await ctx.store.processes.forEnvironment(env.id)) {
    const release = (await ctx.store.releases.getRelease(row.releaseId))!;
    const spec = processSpec(ctx, env, release, await buildDir(ctx, release), row, addons);
    const handle =
      row.pid && row.startTime ? { id: row.id, pid: row.pid, startTime: row.startTime } : undefined;
    const adopted = handle ? ctx.supervisor.adopt(spec, handle) : false;
    if (row.desired === "stopped") {
      if (adopted) await ctx.supervisor.stop(row.id);
      continue;
    }
    if (!adopted) await startProcess(ctx, spec);
  }
}
