import { basename } from "node:path";
import {
  type AddonRecord,
  type BackupBucket,
  type BackupPolicy,
  type BackupRepo,
  bucketFromConnectionEnv,
  chooseRepository,
  DEFAULT_BACKUP_POLICY,
  type PostgresConfig,
  type RedisConfig,
  type ReleaseConfig,
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

/** A redis add-on whose spec asks for snapshots (`backup: { snapshots }`), with its repository. */
export interface SnapshottedRedis {
  env: EnvironmentRow;
  row: AddonRow;
  config: RedisConfig & { backup: NonNullable<RedisConfig["backup"]> };
  record: AddonRecord;
  repo: BackupRepo;
  policy: BackupPolicy;
}

/**
 * The postgres add-ons the live release of `env` declares, and its backup policy (frozen in the
 * release; the seeds' defaults for a release made before backups). Nothing live: none. Throws
 * when a repository's bucket can't be reached for want of its add-on or credentials; with
 * `localOnly` the repositories are their local working directories alone (stopping the WAL
 * receivers needs nothing else).
 */
export async function protectedAddons(
  ctx: Ctx,
  env: EnvironmentRow,
  opts: { localOnly?: boolean } = {},
): Promise<ProtectedAddon[]> {
  const out: ProtectedAddon[] = [];
  for (const a of await liveAddons(ctx, env))
    if (a.config.type === "postgres") {
      const repo = opts.localOnly ? localRepo(ctx, a) : await backupRepo(ctx, a, a.config.backup?.bucket);
      out.push({ ...a, config: a.config, repo });
    }
  return out;
}

/** The redis add-ons of the live release of `env` that keep snapshots. */
export async function snapshottedRedis(ctx: Ctx, env: EnvironmentRow): Promise<SnapshottedRedis[]> {
  const out: SnapshottedRedis[] = [];
  for (const a of await liveAddons(ctx, env))
    if (a.config.type === "redis" && a.config.backup)
      out.push({
        ...a,
        config: { ...a.config, backup: a.config.backup },
        repo: await backupRepo(ctx, a, undefined),
      });
  return out;
}

interface LiveAddon {
  env: EnvironmentRow;
  row: AddonRow;
  config: NonNullable<ReleaseConfig["addons"]>[string];
  record: AddonRecord;
  policy: BackupPolicy;
  live: ReleaseConfig;
  rows: AddonRow[];
}

async function liveAddons(ctx: Ctx, env: EnvironmentRow): Promise<LiveAddon[]> {
  if (!env.liveReleaseId) return [];
  const live = (await ctx.store.releases.getRelease(env.liveReleaseId))!.config;
  const policy = live.backup ?? DEFAULT_BACKUP_POLICY;
  const rows = await ctx.store.environments.addons(env.id);
  const out: LiveAddon[] = [];
  for (const [name, config] of Object.entries(live.addons ?? {})) {
    const row = rows.find((r) => r.name === name);
    if (row) out.push({ env, row, config, record: recordOf(ctx, env, row), policy, live, rows });
  }
  return out;
}

/**
 * The repository and its key: derived from the master key for this add-on alone, so the key is
 * never stored, logged or sent anywhere; a repository made under another master key is refused
 * by the driver (SLW_BACKUP_KEY, naming its fingerprint) before anything is written. Per
 * instance: a restored copy switched to streams a new timeline into a repository of its own.
 */
async function backupRepo(ctx: Ctx, a: LiveAddon, addonBucket: string | undefined): Promise<BackupRepo> {
  const repo = localRepo(ctx, a);
  const choice = chooseRepository(a.policy, addonBucket, a.env.name, basename(a.row.dataDir));
  if (choice.kind === "directory") return repo;
  if (choice.kind === "bucket-addon")
    return { ...repo, bucket: bucketAddon(ctx, a, choice.addon, choice.prefix) };
  const secret = async (name: string) => {
    // The newest value: rotated credentials are used from the next reconcile, without a deploy.
    const [current] = await ctx.store.secrets.versions(a.env.id, name);
    if (!current)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `the backup repository's credential ${name} has no value in ${a.env.name}`,
        `set it: slipway secrets set ${name} --env ${a.env.name}`,
      );
    return ctx.vault.open(a.env.id, name, current.version);
  };
  const bucket: BackupBucket = {
    endpoint: choice.endpoint,
    region: choice.region,
    bucket: choice.bucket,
    prefix: choice.prefix,
    forcePathStyle: choice.forcePathStyle,
    accessKeyId: await secret(choice.credentials.accessKeyId),
    secretAccessKey: await secret(choice.credentials.secretAccessKey),
  };
  return { ...repo, bucket };
}

function localRepo(ctx: Ctx, a: LiveAddon): BackupRepo {
  return {
    location: ctx.paths.env(a.env.name).backups(basename(a.row.dataDir)),
    key: Buffer.from(ctx.box.derive(`backup key ${a.row.id}`), "base64url"),
  };
}

/** The environment's bucket add-on `name`, reached with the connection its services get. */
function bucketAddon(ctx: Ctx, a: LiveAddon, name: string, prefix: string): BackupBucket {
  const config = a.live.addons?.[name];
  const row = a.rows.find((r) => r.name === name);
  if (config?.type !== "bucket" || !row)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the backup repository is the bucket add-on "${name}", which ${a.env.name}'s live release does not run`,
      'declare it under addons (type: "bucket") and deploy, or change backup.repository',
    );
  const env = ctx.driver.addons.connectionEnv(config, recordOf(ctx, a.env, row));
  return bucketFromConnectionEnv(env, prefix);
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
