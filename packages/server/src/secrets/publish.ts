import {
  generateSecret,
  planSecretRefs,
  type ReleaseConfig,
  type SecretVersionMeta,
  SlipwayError,
  secretVersionsFor,
} from "@slipway/core";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";

/** Each secret's newest version (number and when it was set), by name. */
export async function newestVersions(
  ctx: Ctx,
  environmentId: string,
): Promise<Record<string, SecretVersionMeta>> {
  return Object.fromEntries(
    (await ctx.store.secrets.list(environmentId)).map((r) => [
      r.name,
      { version: r.version, createdAt: new Date(r.createdAt).getTime() },
    ]),
  );
}

/**
 * Pins the secrets a deploy's config declares to their newest versions, keeping a rotation's
 * NAME_PREVIOUS from the live release while its overlap lasts. A declared secret with no value
 * is generated when the spec says how; otherwise the deploy is refused, naming it (or, for
 * `up`'s first deploy, started without it).
 */
export async function pinSecrets(
  ctx: Ctx,
  env: EnvironmentRow,
  config: ReleaseConfig,
  actor: string,
  /** `up`'s first deploy: nothing can have been set yet, so a missing one is published once it is set. */
  opts: { allowMissing?: boolean } = {},
): Promise<ReleaseConfig> {
  if (!config.secrets) return config;
  const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
  const newest = await newestVersions(ctx, env.id);
  const missing: string[] = [];
  const refs = { ...config.secrets };
  for (const [name, ref] of Object.entries(refs)) {
    const was = live?.config.secrets?.[name];
    if (was) refs[name] = { ...ref, version: was.version, ...pick(was) };
    // An add-on login with no version yet is the add-on's own (v0); only a rotation makes one.
    if (ref.addon) continue;
    if (newest[name] || !ref.generate) {
      if (!newest[name]) missing.push(name);
      continue;
    }
    const version = await ctx.vault.add(env.id, name, generateSecret(ref.generate), actor);
    newest[name] = { version, createdAt: ctx.now() };
    await ctx.event({
      kind: "secret.generated",
      subject: secretSubject(env, name),
      actor,
      message: `${name} v${version} generated in ${env.name} (it had no value)`,
      data: { environment: env.name, name, version },
    });
  }
  if (missing.length && opts.allowMissing)
    await ctx.event({
      kind: "secret.missing",
      subject: env.id,
      actor,
      message: `${missing.join(", ")} ${missing.length > 1 ? "have" : "has"} no value in ${env.name}; services start without ${missing.length > 1 ? "them" : "it"} and restart onto ${missing.length > 1 ? "each" : "it"} once set: echo -n VALUE | slipway secrets set ${missing[0]} --env ${env.name}`,
      data: { environment: env.name, secrets: missing },
    });
  else if (missing.length)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the spec declares ${missing.join(", ")} for ${env.name}, but ${missing.length > 1 ? "they have" : "it has"} no value there`,
      `set ${missing.length > 1 ? "each" : "it"}: echo -n VALUE | slipway secrets set ${missing[0]} --env ${env.name} (or give it \`generate\` in the spec)`,
      { secrets: missing },
    );
  return { ...config, secrets: planSecretRefs(refs, newest, ctx.now())?.refs ?? refs };
}

const pick = (r: { previous?: number; withdrawAt?: number }) =>
  r.previous !== undefined && r.withdrawAt !== undefined
    ? { previous: r.previous, withdrawAt: r.withdrawAt }
    : {};

/** The values one service of a release receives (NAME, NAME_PREVIOUS), opened at its start. */
export async function secretEnv(
  ctx: Ctx,
  env: EnvironmentRow,
  config: ReleaseConfig,
  service: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of secretVersionsFor(config.secrets, service))
    out[s.envName] = await ctx.vault.open(env.id, s.name, s.version);
  return out;
}

/** The subject of a secret's events: environment and name, never a value. */
export const secretSubject = (env: EnvironmentRow, name: string) => `secret:${env.name}/${name}`;
