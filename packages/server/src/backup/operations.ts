import {
  type BackupInfo,
  isSlipwayError,
  type RedisSnapshotInfo,
  type RestoreTarget,
  SlipwayError,
} from "@slipway/core";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { type DrillReport, runDrill } from "./drill";
import {
  existingEnvironment,
  type ProtectedAddon,
  pickAddon,
  protectedAddons,
  snapshottedRedis,
} from "./protected-addons";
import {
  type RedisBackups,
  type RedisRestoreReport,
  redisListing,
  restoreRedis,
  takeSnapshot,
} from "./redis";
import { type DrillView, drillView, failed, iso, isoOrNull, runOf, windowView } from "./runs";
import { switchToRestored } from "./switch";

/** What `slipway backup` asks of the control plane (routes-backup.ts), and what the reconciler runs on schedule. */
export interface BackupOperations {
  list(env: string): Promise<{ environment: string; addons: AddonBackups[]; redis: RedisBackups[] }>;
  /** A base backup of a postgres add-on, or (naming a redis add-on that keeps them) an RDB snapshot. */
  create(
    env: string,
    addon: string | undefined,
    actor: string,
  ): Promise<{ addon: string; backup: BackupInfo } | { addon: string; snapshot: RedisSnapshotInfo }>;
  /** A postgres add-on restored into a new instance (to a time, or the latest state). */
  restore(env: string, req: RestoreRequest, actor: string): Promise<RestoreReport>;
  /** The same, or for a redis add-on that keeps snapshots, the snapshot at or before the time (the API's restore). */
  restoreAny(env: string, req: RestoreRequest, actor: string): Promise<RestoreReport | RedisRestoreReport>;
  drill(env: string, addon: string | undefined, actor: string): Promise<DrillReport>;
  /** The same, for one add-on the reconciler already holds. */
  createFor(a: ProtectedAddon, actor: string): Promise<BackupInfo>;
  drillFor(a: ProtectedAddon, actor: string): Promise<DrillReport>;
}

export interface AddonBackups {
  addon: string;
  streaming: boolean;
  window: { earliest: string; latest: string } | null;
  retentionDays: number;
  backups: (Omit<BackupInfo, "startedAt" | "endedAt"> & { startedAt: string; endedAt: string })[];
  walSegments: number;
  lastDrill: DrillView | null;
}

export interface RestoreRequest {
  addon?: string;
  /** An ISO time inside the window, or "latest". */
  to: string;
  /** Switch the environment's add-on to the copy, with a new release; needs `confirm`. */
  switch?: boolean;
  confirm?: boolean;
}

export interface RestoreReport {
  run: string;
  addon: string;
  target: string;
  baseBackup: string;
  /** The new instance: the live one's roles and passwords, its own directory and port. */
  instance: { host: string; port: number; dataDir: string };
  /** The last commit replayed and the newest heartbeat present: what the copy holds. */
  restoredTo: { lastCommitAt: string | null; newestHeartbeatAt: string | null };
  rtoMs: number;
  /** When switched: the release that moved the services onto the copy, and its rollout. */
  switched?: { release: number; rollout: string };
}

export function backupOperations(ctx: Ctx, kick: (rolloutId: string) => void = () => {}): BackupOperations {
  // One backup, restore or drill at a time per add-on: they share its repository and CPU.
  const busy = new Map<string, Promise<unknown>>();
  const serial = <T>(a: ProtectedAddon, fn: () => Promise<T>): Promise<T> => {
    const prev = busy.get(a.row.id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    busy.set(a.row.id, next);
    return next;
  };
  const addonOf = async (envName: string, addon: string | undefined) => {
    const env = await existingEnvironment(ctx, envName);
    return pickAddon(await protectedAddons(ctx, env), envName, addon);
  };
  /** The redis add-on `addon` names, when it is one that keeps snapshots. */
  const redisOf = async (envName: string, addon: string | undefined) => {
    if (addon === undefined) return undefined;
    const env = await existingEnvironment(ctx, envName);
    return (await snapshottedRedis(ctx, env)).find((r) => r.row.name === addon);
  };

  const createFor = (a: ProtectedAddon, actor: string) => serial(a, () => takeBase(ctx, a, actor));
  const drillFor = (a: ProtectedAddon, actor: string) => serial(a, () => runDrill(ctx, a, actor));

  const ops: BackupOperations = {
    async list(envName) {
      const env = await existingEnvironment(ctx, envName);
      const addons: AddonBackups[] = [];
      for (const a of await protectedAddons(ctx, env)) addons.push(await listing(ctx, a));
      const redis: RedisBackups[] = [];
      for (const r of await snapshottedRedis(ctx, env)) redis.push(await redisListing(ctx, r));
      return { environment: env.name, addons, redis };
    },
    async create(envName, addon, actor) {
      const r = await redisOf(envName, addon);
      if (r) return { addon: r.row.name, snapshot: await takeSnapshot(ctx, r, actor) };
      const a = await addonOf(envName, addon);
      await ctx.driver.backups.protect(a.record, a.repo);
      return { addon: a.row.name, backup: await createFor(a, actor) };
    },
    async restore(envName, req, actor) {
      const target = parseTarget(req.to);
      if (req.switch && !req.confirm)
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          "switching the environment onto a restored copy needs an explicit confirmation",
          "add --yes (API: confirm: true); without --switch the restore only makes a new instance",
          { field: "confirm" },
        );
      const a = await addonOf(envName, req.addon);
      return serial(a, async () => {
        const report = await restoreCopy(ctx, a, target, actor);
        if (!req.switch) return report;
        const run = {
          id: report.run,
          instance: report.instance,
          restoredTo: report.restoredTo.lastCommitAt ?? report.target,
        };
        return { ...report, switched: await switchToRestored(ctx, a, run, actor, kick) };
      });
    },
    async restoreAny(envName, req, actor) {
      const r = await redisOf(envName, req.addon);
      if (!r) return ops.restore(envName, req, actor);
      if (req.switch)
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `switching onto a restored copy is for postgres add-ons; ${req.addon} is a redis cache`,
          "restore without --switch and copy the keys you need from the new instance",
          { field: "switch" },
        );
      return restoreRedis(ctx, r, parseTarget(req.to), actor);
    },
    async drill(envName, addon, actor) {
      return drillFor(await addonOf(envName, addon), actor);
    },
    createFor,
    drillFor,
  };
  return ops;
}

/** What `slipway status` shows per environment: each postgres add-on's protection. */
export async function protectionStatus(ctx: Ctx, env: EnvironmentRow) {
  const out = [];
  // A bucket whose credentials are missing shows as not streaming here; the alert says why.
  const all = await protectedAddons(ctx, env).catch(() => protectedAddons(ctx, env, { localOnly: true }));
  for (const a of all) {
    const l = await listing(ctx, a).catch(() => undefined);
    out.push({
      addon: a.row.name,
      enabled: a.policy.enabled,
      streaming: l?.streaming ?? false,
      lastBaseBackup: l?.backups.filter((b) => b.verified).at(-1)?.endedAt ?? null,
      window: l?.window ?? null,
      retentionDays: a.policy.retentionDays,
      lastDrill: l?.lastDrill ?? null,
    });
  }
  return out;
}

async function listing(ctx: Ctx, a: ProtectedAddon): Promise<AddonBackups> {
  const inv = await ctx.driver.backups.list(a.record, a.repo).catch((e: unknown) => {
    // Not protected yet (the reconciler's first tick has not run): nothing to list, not an error.
    if (isSlipwayError(e) && (e.code === "SLW_NOT_FOUND" || e.code === "SLW_BACKUP_FAILED")) return undefined;
    throw e;
  });
  const [lastDrill] = (await ctx.store.backupRuns.list(a.env.id, a.row.name, 20)).filter(
    (r) => r.kind === "drill",
  );
  return {
    addon: a.row.name,
    streaming: inv?.streaming ?? false,
    window: windowView(inv?.window),
    retentionDays: a.policy.retentionDays,
    backups: (inv?.backups ?? []).map((b) => ({
      ...b,
      startedAt: iso(b.startedAt),
      endedAt: iso(b.endedAt),
    })),
    walSegments: inv?.walSegments ?? 0,
    lastDrill: lastDrill ? drillView(lastDrill) : null,
  };
}

/** A base backup, recorded as a run with its events. */
async function takeBase(ctx: Ctx, a: ProtectedAddon, actor: string): Promise<BackupInfo> {
  const subject = `${a.row.id}/backups`;
  const run = await ctx.store.backupRuns.start({ ...runOf(a, "base"), requestedBy: actor, at: ctx.now() });
  try {
    const backup = await ctx.driver.backups.createBase(a.record, a.repo);
    await ctx.store.backupRuns.finish(run.id, "succeeded", ctx.now(), { backupId: backup.id });
    await ctx.event({
      kind: "backup.created",
      subject,
      actor,
      message: `${a.env.name}/${a.row.name}: base backup ${backup.id} taken and verified (${backup.bytes} bytes stored)`,
      data: { run: run.id, backup: backup.id, bytes: backup.bytes },
    });
    return backup;
  } catch (e) {
    await failed(
      ctx,
      run,
      subject,
      actor,
      "backup.failed",
      `${a.env.name}/${a.row.name}: base backup failed`,
      e,
    );
    throw e;
  }
}

/** Restores into a new instance beside the live one and reports what the copy holds. */
async function restoreCopy(
  ctx: Ctx,
  a: ProtectedAddon,
  target: RestoreTarget,
  actor: string,
): Promise<RestoreReport> {
  const subject = `${a.row.id}/backups`;
  const targetText = target.kind === "latest" ? "latest" : iso(target.at);
  const run = await ctx.store.backupRuns.start({
    ...runOf(a, "restore"),
    requestedBy: actor,
    at: ctx.now(),
    target: targetText,
  });
  try {
    const into = {
      dataDir: ctx.paths.env(a.env.name).restore(a.row.name, run.id),
      port: await ctx.driver.runtime.allocatePort(),
    };
    const restored = await ctx.driver.backups.restore(a.record, a.repo, { target, into });
    const check = await ctx.driver.backups.check(restored.record, a.config.databases, []);
    const report: RestoreReport = {
      run: run.id,
      addon: a.row.name,
      target: targetText,
      baseBackup: restored.baseBackup,
      instance: { host: "127.0.0.1", port: restored.record.port, dataDir: restored.record.dataDir },
      restoredTo: {
        lastCommitAt: isoOrNull(restored.lastCommitAt),
        newestHeartbeatAt: isoOrNull(check.newestHeartbeatAt),
      },
      rtoMs: restored.rtoMs,
    };
    await ctx.store.backupRuns.finish(run.id, "succeeded", ctx.now(), {
      backupId: restored.baseBackup,
      restoredTo: report.restoredTo.lastCommitAt,
      newestHeartbeat: report.restoredTo.newestHeartbeatAt,
      rtoMs: restored.rtoMs,
      instance: { dataDir: restored.record.dataDir, port: restored.record.port },
    });
    await ctx.event({
      kind: "backup.restored",
      subject,
      actor,
      message: `${a.env.name}/${a.row.name} restored to ${targetText} into a new instance on 127.0.0.1:${restored.record.port} (last commit ${report.restoredTo.lastCommitAt ?? "none after the base backup"}); the live instance was not touched`,
      data: { run: run.id, ...report.instance, ...report.restoredTo },
    });
    return report;
  } catch (e) {
    await failed(
      ctx,
      run,
      subject,
      actor,
      "backup.restore-failed",
      `${a.env.name}/${a.row.name}: restore to ${targetText} failed`,
      e,
    );
    throw e;
  }
}

function parseTarget(to: string): RestoreTarget {
  if (to === "latest") return { kind: "latest" };
  const at = Date.parse(to);
  if (!/^\d{4}-\d\d-\d\dT/.test(to) || Number.isNaN(at))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `to: ${JSON.stringify(to)} is not a time`,
      "give an ISO time with its zone, e.g. --to 2026-11-30T14:05:00Z, or --latest",
      { field: "to" },
    );
  return { kind: "time", at };
}
