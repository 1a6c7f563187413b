import { randomBytes } from "node:crypto";
import {
  type AddonConfig,
  type AddonLogin,
  type AddonRecord,
  addonLoginRef,
  addonsOf,
  type ReleaseConfig,
  SlipwayError,
} from "@slipway/core";
import type { AddonRow, EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";

export type AddonEnv = Record<string, Record<string, string>>;

/**
 * Provisions (first time) and starts or adopts each declared add-on of the environment. The
 * port, password and data directory are written to the store before the server is started,
 * so a control plane killed half-way provisions the same instance again.
 */
export async function ensureAddons(
  ctx: Ctx,
  env: EnvironmentRow,
  declared: Record<string, AddonConfig>,
): Promise<void> {
  const existing = await ctx.store.environments.addons(env.id);
  for (const [name, config] of Object.entries(declared)) {
    let row = existing.find((a) => a.name === name);
    if (!row) {
      const id = `${env.id}/${name}`;
      await ctx.store.environments.insertAddon({
        id,
        environmentId: env.id,
        name,
        kind: config.type,
        port: await ctx.driver.runtime.allocatePort(),
        passwordSealed: ctx.box.seal(randomBytes(18).toString("base64url"), id),
        dataDir: ctx.paths.env(env.name).addon(name),
      });
      row = (await ctx.store.environments.addons(env.id)).find((a) => a.name === name)!;
      await ctx.event({
        kind: "addon.provisioned",
        subject: id,
        message: `${config.type} add-on ${name} provisioned`,
      });
    }
    const { pid, adopted } = await ctx.driver.addons.ensure(config, recordOf(ctx, env, row));
    if (pid !== row.pid) await ctx.store.environments.setAddonPid(row.id, pid);
    if (!adopted)
      await ctx.event({
        kind: "addon.started",
        subject: row.id,
        message: `${config.type} ${name} running on 127.0.0.1:${row.port}`,
        data: { pid },
      });
  }
}

/**
 * Connection env of the add-ons a release declares, from their records alone (no I/O to the
 * servers): what a process of that release starts with, without re-checking the servers. Each
 * add-on is the instance the release recorded (a rollback across `backup restore --switch`
 * goes back to the instance it used), or the current one for a release made before that.
 */
export async function addonEnv(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<AddonEnv> {
  const rows = await ctx.store.environments.addons(env.id);
  const declared = addonsOf(release.config, rows);
  const out: AddonEnv = {};
  for (const row of rows) {
    const addon = declared[row.name];
    if (!addon || addon.type !== row.kind) continue;
    const login = await loginOf(ctx, env, release.config, row.name);
    out[row.name] = ctx.driver.addons.connectionEnv(addon, releaseRecordOf(ctx, env, row, release), login);
  }
  return out;
}

/**
 * Starts (or adopts) the add-on instances a release uses that are not the environment's
 * current ones: before a rollback's processes start, the instance it goes back to may have
 * been stopped by a `down` since it was replaced.
 */
export async function ensureReleaseInstances(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
): Promise<void> {
  const rows = await ctx.store.environments.addons(env.id);
  const declared = addonsOf(release.config, rows);
  for (const row of rows) {
    const at = release.addonInstances?.[row.name];
    const addon = declared[row.name];
    if (!at || !addon || at.dataDir === row.dataDir) continue;
    await ctx.driver.addons.ensure(addon, releaseRecordOf(ctx, env, row, release));
  }
}

/** The add-on's record at the instance `release` uses (the current one when it recorded none). */
export function releaseRecordOf(
  ctx: Ctx,
  env: EnvironmentRow,
  row: AddonRow,
  release: Pick<ReleaseRow, "addonInstances">,
): AddonRecord {
  return { ...recordOf(ctx, env, row), ...release.addonInstances?.[row.name] };
}

/** The rotated login a release publishes for an add-on (see secrets `addon`), opened from the vault. */
async function loginOf(
  ctx: Ctx,
  env: EnvironmentRow,
  config: ReleaseConfig,
  addon: string,
): Promise<AddonLogin | undefined> {
  const ref = addonLoginRef(config.secrets, addon);
  if (!ref) return undefined;
  return { version: ref.version, password: await ctx.vault.open(env.id, ref.name, ref.version) };
}

/**
 * Makes the add-on accept `version` of its login (see AddonsPort.rotatePassword), taking the
 * previous one away with `withdrawPrevious`. The add-on's config is the one `config` froze.
 */
export async function rotateAddonPassword(
  ctx: Ctx,
  env: EnvironmentRow,
  config: ReleaseConfig,
  secret: { name: string; addon: string; version: number },
  withdrawPrevious: boolean,
): Promise<void> {
  const rows = await ctx.store.environments.addons(env.id);
  const row = rows.find((r) => r.name === secret.addon);
  const addon = addonsOf(config, rows)[secret.addon];
  if (!row || !addon)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `${env.name} runs no add-on ${secret.addon} for ${secret.name}`,
      `deploy the add-on first: slipway deploy --env ${env.name}`,
    );
  const password = await ctx.vault.open(env.id, secret.name, secret.version);
  await ctx.driver.addons.rotatePassword(
    addon,
    recordOf(ctx, env, row),
    { version: secret.version, password },
    { withdrawPrevious },
  );
}

export function recordOf(ctx: Ctx, env: EnvironmentRow, row: AddonRow): AddonRecord {
  return {
    env: env.name,
    name: row.name,
    kind: row.kind,
    port: row.port,
    password: ctx.box.open(row.passwordSealed, row.id),
    dataDir: row.dataDir,
  };
}

export async function stopAddons(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  for (const row of await ctx.store.environments.addons(env.id)) {
    await ctx.driver.addons.stop(recordOf(ctx, env, row));
    await ctx.store.environments.setAddonPid(row.id, null);
    await ctx.event({ kind: "addon.stopped", subject: row.id, message: `${row.kind} ${row.name} stopped` });
  }
}
