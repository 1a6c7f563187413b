import { randomBytes } from "node:crypto";
import { addonDriver, freePort } from "@slipway/driver-local";
import type { AddonRow, EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";

export type AddonEnv = Record<string, Record<string, string>>;

/**
 * Provisions (first time) and starts or adopts every add-on of the environment. The port,
 * password and data directory are written to the store before the server is started, so
 * a control plane killed half-way provisions the same instance again.
 */
export async function ensureAddons(ctx: Ctx, env: EnvironmentRow): Promise<AddonEnv> {
  const out: AddonEnv = {};
  const existing = await ctx.store.environments.addons(env.id);
  for (const [name, spec] of Object.entries(ctx.stack.addons)) {
    let row = existing.find((a) => a.name === name);
    if (!row) {
      const id = `${env.id}/${name}`;
      await ctx.store.environments.insertAddon({
        id,
        environmentId: env.id,
        name,
        kind: spec.type,
        port: await freePort(),
        passwordSealed: ctx.box.seal(randomBytes(18).toString("base64url"), id),
        dataDir: ctx.paths.env(env.name).addon(name),
      });
      row = (await ctx.store.environments.addons(env.id)).find((a) => a.name === name)!;
      await ctx.event({
        kind: "addon.provisioned",
        subject: id,
        message: `${spec.type} add-on ${name} provisioned`,
      });
    }
    const record = recordOf(ctx, env, row);
    const driver = addonDriver(spec.type);
    const { pid, adopted } = await driver.ensure(spec as never, record);
    if (pid !== row.pid) await ctx.store.environments.setAddonPid(row.id, pid);
    if (!adopted)
      await ctx.event({
        kind: "addon.started",
        subject: row.id,
        message: `${spec.type} ${name} running on 127.0.0.1:${row.port}`,
        data: { pid },
      });
    out[name] = driver.connectionEnv(spec as never, record);
  }
  return out;
}

/**
 * Connection env of the environment's add-ons from their records alone (no I/O to the
 * servers): what a process start needs, without re-checking servers `ensureAddons` started.
 */
export async function addonEnv(ctx: Ctx, env: EnvironmentRow): Promise<AddonEnv> {
  const out: AddonEnv = {};
  for (const row of await ctx.store.environments.addons(env.id)) {
    const spec = ctx.stack.addons[row.name];
    if (!spec || spec.type !== row.kind) continue;
    out[row.name] = addonDriver(spec.type).connectionEnv(spec as never, recordOf(ctx, env, row));
  }
  return out;
}

function recordOf(ctx: Ctx, env: EnvironmentRow, row: AddonRow) {
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
    await addonDriver(row.kind).stop(recordOf(ctx, env, row));
    await ctx.store.environments.setAddonPid(row.id, null);
    await ctx.event({ kind: "addon.stopped", subject: row.id, message: `${row.kind} ${row.name} stopped` });
  }
}
