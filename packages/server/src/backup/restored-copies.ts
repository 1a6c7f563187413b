import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { recordOf } from "../environment/addons";
import { protectedAddons } from "./protected-addons";

/** Stops the WAL receivers of an environment (on `down`: they stream from add-ons being stopped). */
export async function stopProtection(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  for (const a of await protectedAddons(ctx, env, { localOnly: true }))
    await ctx.driver.backups.unprotect(a.repo);
}

/**
 * Stops the instances `slipway backup restore` made in an environment (on `down`, like its
 * add-ons): their data stays where the restore reported it, for whoever wants to look again.
 */
export async function stopRestoredCopies(ctx: Ctx, env: EnvironmentRow): Promise<void> {
  const rows = await ctx.store.environments.addons(env.id);
  for (const run of await ctx.store.backupRuns.list(env.id, undefined, 1000)) {
    const row = rows.find((r) => r.name === run.addon);
    if (run.kind !== "restore" || !run.instance || !row) continue;
    // A copy switched to is the add-on now (stopped with the others); the one it replaced is not.
    if (run.instance.dataDir !== row.dataDir)
      await ctx.driver.addons.stop({ ...recordOf(ctx, env, row), ...run.instance });
    if (run.replaced) await ctx.driver.addons.stop({ ...recordOf(ctx, env, row), ...run.replaced });
  }
}
