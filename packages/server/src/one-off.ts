import { SlipwayError, secretVersionsFor } from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { RunOperations } from "./api/routes-run";
import type { Ctx } from "./context";
import { addonEnv } from "./environment/addons";
import { buildDir, processSpec } from "./environment/processes";

/** What `slipway run` needs to start a one-off process of a service on this machine. */
export interface OneOffProcess {
  release: number;
  /** The release's build directory. */
  cwd: string;
  /** The service's complete environment in that environment (add-on passwords included). */
  env: Record<string, string>;
  /** The unprivileged user services run as, when the control plane runs as root. */
  runAs: { uid: number; gid: number } | null;
}

/** Where `slipway psql` connects: an add-on's application role (never its superuser). */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export const runOperations = (ctx: Ctx): RunOperations => ({
  oneOff: (env, service, release, actor, readsSecrets) =>
    oneOffProcess(ctx, env, service, release, actor, readsSecrets),
  postgresConnection: (env, addon, actor) => postgresConnection(ctx, env, addon, actor),
});

/**
 * A service's environment, build directory and user for a one-off process (`slipway run`,
 * like `heroku run`): exactly what the supervisor would give a replica of that release,
 * without a port. The values hold add-on passwords: the event records who asked, not them.
 */
export async function oneOffProcess(
  ctx: Ctx,
  envName: string,
  service: string,
  releaseNumber: number | undefined,
  actor: string,
  /** Reading secret values is the admin's capability: others get the environment without them. */
  readsSecrets = false,
): Promise<OneOffProcess> {
  const env = await environmentNamed(ctx, envName);
  const release = await releaseOf(ctx, env, releaseNumber);
  const services = release.config.services;
  if (!Object.hasOwn(services, service))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no service "${service}" in v${release.number} of ${envName}`,
      `services: ${Object.keys(services).join(", ")}`,
    );
  const spec = await processSpec(
    ctx,
    env,
    release,
    await buildDir(ctx, release),
    // No nonce: a one-off is not supervised, and no later control plane may adopt it.
    { id: `${envName}/v${release.number}/${service}/run`, service, port: null, nonce: null },
    await addonEnv(ctx, env, release),
  );
  const secrets = secretVersionsFor(release.config.secrets, service).map((s) => s.envName);
  const given = { ...spec.env };
  if (!readsSecrets) for (const name of secrets) delete given[name];
  await ctx.event({
    kind: "service.run",
    subject: release.id,
    actor,
    message: `${actor} started a one-off ${service} process of v${release.number} in ${envName}${
      secrets.length
        ? readsSecrets
          ? `, with secrets ${secrets.join(", ")}`
          : `, without secrets ${secrets.join(", ")} (admin only)`
        : ""
    }`,
    // Names only: the audit trail of who received which secret, never a value.
    data: { service, release: release.number, secrets: readsSecrets ? secrets : [] },
  });
  return {
    release: release.number,
    cwd: spec.cwd,
    env: given,
    runAs: ctx.driver.runtime.attachUser(),
  };
}

/** The application role's connection to a postgres add-on, for `slipway psql`. */
export async function postgresConnection(
  ctx: Ctx,
  envName: string,
  addon: string,
  actor: string,
): Promise<PostgresConnection> {
  const env = await environmentNamed(ctx, envName);
  const rows = await ctx.store.environments.addons(env.id);
  const row = rows.find((a) => a.name === addon);
  const postgres = rows.filter((a) => a.kind === "postgres").map((a) => a.name);
  const which = postgres.length ? `postgres add-ons in ${envName}: ${postgres.join(", ")}` : "";
  if (!row)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no add-on "${addon}" in ${envName}`,
      which || `${envName} has no postgres add-on; add one under addons in slipway.config.ts`,
    );
  if (row.kind !== "postgres")
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `add-on "${addon}" is ${row.kind}, and psql connects to postgres`,
      which || `${envName} has no postgres add-on`,
    );
  const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
  const url = live ? (await addonEnv(ctx, env, live))[addon]?.DATABASE_URL : undefined;
  if (!url)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `add-on "${addon}" is not in the live release of ${envName}`,
      "it keeps its data; add it back to slipway.config.ts and deploy to reach it",
    );
  await ctx.event({
    kind: "addon.connect",
    subject: row.id,
    actor,
    message: `${actor} opened psql to ${addon} in ${envName}`,
  });
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
  };
}

async function environmentNamed(ctx: Ctx, name: string): Promise<EnvironmentRow> {
  const env = await ctx.store.environments.get(ctx.stackId, name);
  if (!env)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no environment "${name}" is running`,
      `environments: ${(await ctx.store.environments.list()).map((e) => e.name).join(", ")}; bring one up with: slipway deploy --env ${name}`,
    );
  return env;
}

async function releaseOf(ctx: Ctx, env: EnvironmentRow, number: number | undefined): Promise<ReleaseRow> {
  if (number !== undefined) {
    const release = await ctx.store.releases.byNumber(env.id, number);
    if (!release)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no release v${number} in ${env.name}`,
        "see the releases with: slipway releases",
      );
    return release;
  }
  const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
  if (!live)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `nothing is live in ${env.name} yet`,
      "deploy first (slipway deploy), or name a release with --release vN",
    );
  return live;
}
