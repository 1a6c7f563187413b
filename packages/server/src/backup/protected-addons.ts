import { basename } from "node:path";
import {
  type AddonRecord,
  type BackupPolicy,
  type BackupRepo,
  DEFAULT_BACKUP_POLICY,
  type PostgresConfig,
  SlipwayError,
} from "@slipway/core";
import type { AddonRow, EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { recordOf } from "../environment/addons";

/** One postgres add-on of an environment's live release, with what backing it up needs. */
export interface ProtectedAddon {
  env: EnvironmentRow;
  row: AddonRow;
  config: PostgresConfig;
  record: AddonRecord;
  repo: BackupRepo;
  policy: BackupPolicy;
}

/**
 * The postgres add-ons the live release of `env` declares, and its backup policy (frozen in the
 * release; the seeds' defaults for a release made before backups). Nothing live: none.
 */
export async function protectedAddons(ctx: Ctx, env: EnvironmentRow): Promise<ProtectedAddon[]> {
  if (!env.liveReleaseId) return [];
  const live = (await ctx.store.releases.getRelease(env.liveReleaseId))!;
  const policy = live.config.backup ?? DEFAULT_BACKUP_POLICY;
  const rows = await ctx.store.environments.addons(env.id);
  const out: ProtectedAddon[] = [];
  for (const [name, config] of Object.entries(live.config.addons ?? {})) {
    const row = rows.find((r) => r.name === name);
    if (config.type !== "postgres" || !row) continue;
    out.push({ env, row, config, record: recordOf(ctx, env, row), repo: backupRepo(ctx, env, row), policy });
  }
  return out;
}

/**
 * The repository and its key: derived from the master key for this add-on alone, so the key is
 * never stored, logged or sent anywhere; a repository made under another master key is refused
 * by the driver (SLW_BACKUP_KEY, naming its fingerprint) before anything is written.
 */
export function backupRepo(ctx: Ctx, env: EnvironmentRow, row: AddonRow): BackupRepo {
  return {
    // Per instance: a restored copy switched to streams a new timeline into a repository of its own.
    location: ctx.paths.env(env.name).backups(basename(row.dataDir)),
    key: Buffer.from(ctx.box.derive(`backup key ${row.id}`), "base64url"),
  };
}

/** The environment by name, or SLW_NOT_FOUND saying what exists. */
export async function existingEnvironment(ctx: Ctx, name: string): Promise<EnvironmentRow> {
  const env = await ctx.store.environments.get(ctx.stackId, name);
  if (!env) {
    const known = (await ctx.store.environments.list()).map((e) => e.name);
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no environment "${name}"`,
      known.length ? `environments: ${known.join(", ")}` : "bring one up first: slipway up",
    );
  }
  return env;
}

/** The one add-on asked for (or the only postgres one), refusing names that are not protected. */
export function pickAddon(all: ProtectedAddon[], env: string, name: string | undefined): ProtectedAddon {
  if (all.length === 0)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `${env} has no postgres add-on in its live release`,
      'declare one under `addons` (type: "postgres") and deploy',
    );
  const names = all.map((a) => a.row.name).join(", ");
  if (name === undefined) {
    if (all.length > 1)
      throw new SlipwayError(
        "SLW_BAD_REQUEST",
        `${env} has several postgres add-ons (${names})`,
        "name one with --addon NAME",
        { field: "addon" },
      );
    return all[0]!;
  }
  const found = all.find((a) => a.row.name === name);
  if (!found)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `${env} has no postgres add-on "${name}"`,
      `postgres add-ons: ${names}`,
      {
        field: "addon",
      },
    );
  return found;
}
