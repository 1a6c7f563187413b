import { generateSecret, rotationStatus, type SecretRef, SlipwayError } from "@slipway/core";
import { type Stack, secretRefsFor } from "@slipway/spec";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { rotateAddonPassword } from "../environment/addons";
import { loadSpec } from "../spec";
import { newestVersions, secretSubject } from "./publish";

/** What `slipway secrets` asks of the control plane. Values go in (set, rotate, import) and out only through `get`. */
export interface SecretOperations {
  list(env: string): Promise<SecretListItem[]>;
  history(
    env: string,
    name: string,
  ): Promise<{ version: number; createdAt: string; createdBy: string; keyId: string }[]>;
  get(
    env: string,
    name: string,
    version: number | undefined,
    actor: string,
  ): Promise<{ name: string; version: number; value: string }>;
  set(env: string, name: string, value: string, actor: string): Promise<Changed>;
  rotate(env: string, name: string, value: string | undefined, actor: string): Promise<Changed>;
  import(
    env: string,
    values: Record<string, string>,
    actor: string,
  ): Promise<{ imported: Changed[]; skipped: string[] }>;
}

interface Changed {
  name: string;
  version: number;
  /** The rollout that restarts the services using it, when one started. */
  rollout?: string;
}

export interface SecretListItem {
  name: string;
  version?: number;
  createdAt?: string;
  createdBy?: string;
  /** Against its rotation policy: ok, due-soon, overdue, no-policy, or not-set. */
  rotation: string;
  dueAt?: string;
  overdueDays?: number;
  /** What the live release publishes: NAME's version and, during an overlap, NAME_PREVIOUS's. */
  published?: { version: number; previous?: number; withdrawAt?: string };
  services?: string[];
}

export function secretOperations(ctx: Ctx, publishNow: () => Promise<void>): SecretOperations {
  const existing = async (name: string) => {
    const env = await ctx.store.environments.get(ctx.stackId, name);
    if (!env)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no environment "${name}" yet`,
        `deploy to it first: slipway deploy --env ${name}`,
      );
    return env;
  };
  /** The environment and the spec's declaration of the secret there, for every write. */
  const declared = async (
    envName: string,
    name: string,
  ): Promise<{ env: EnvironmentRow; ref: SecretRef }> => {
    const stack = await loadSpec(ctx.projectDir);
    const ref = declarationIn(stack, envName, name);
    return { env: await ctx.store.environments.ensure(ctx.stackId, envName), ref };
  };
  const versionsOf = async (env: EnvironmentRow, name: string) => {
    const versions = await ctx.store.secrets.versions(env.id, name);
    if (!versions.length) {
      const known = (await ctx.store.secrets.list(env.id)).map((s) => s.name);
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no secret ${name} in ${env.name}`,
        known.length
          ? `secrets there: ${known.join(", ")}`
          : `set it: echo -n VALUE | slipway secrets set ${name} --env ${env.name}`,
      );
    }
    return versions;
  };
  /** Stores a new version, records it, and lets the reconciler restart whatever uses it. */
  const change = async (env: EnvironmentRow, name: string, value: string, actor: string, kind: string) => {
    const version = await ctx.vault.add(env.id, name, value, actor);
    await ctx.event({
      kind,
      subject: secretSubject(env, name),
      actor,
      message: `${name} v${version} ${kind === "secret.rotated" ? "rotated" : "set"} in ${env.name}`,
      data: { environment: env.name, name, version },
    });
    return version;
  };
  const published = async (
    env: EnvironmentRow,
    changed: { name: string; version: number }[],
  ): Promise<Changed[]> => {
    await publishNow();
    const rollout = (await ctx.store.rollouts.active()).find(
      (r) => r.environmentId === env.id && r.actor === "secrets",
    );
    return changed.map((c) => ({ ...c, ...(rollout ? { rollout: rollout.id } : {}) }));
  };

  /**
   * A postgres add-on's login: the new version is stored, made valid in the database beside
   * the one the live services use, then published by the reconciler's restart; the old one is
   * withdrawn once they moved. One rotation at a time: the next one would reuse the login role
   * the services are still on.
   */
  const rotateAddonLogin = async (
    env: EnvironmentRow,
    name: string,
    ref: SecretRef,
    value: string | undefined,
    actor: string,
  ): Promise<Changed> => {
    const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
    if (!live)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `${env.name} has no live release whose ${ref.addon} password could change`,
        `deploy it first: slipway deploy --env ${env.name}`,
      );
    if (!live.config.secrets?.[name])
      throw new SlipwayError(
        "SLW_CONFLICT",
        `the live release of ${env.name} does not declare ${name} yet`,
        `deploy the spec that declares it first: slipway deploy --env ${env.name}`,
      );
    const [newest] = await ctx.store.secrets.versions(env.id, name);
    const inUse = live.config.secrets[name].version;
    if (newest && newest.version !== inUse)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `${name} v${newest.version} is still being rolled out in ${env.name} (the live release uses v${inUse})`,
        `wait until \`slipway secrets list --env ${env.name}\` shows v${newest.version} published, then rotate again`,
      );
    const version = await change(env, name, value ?? generateSecret(ref.generate!), actor, "secret.rotated");
    await rotateAddonPassword(ctx, env, live.config, { name, addon: ref.addon!, version }, false);
    return (await published(env, [{ name, version }]))[0]!;
  };

  return {
    async list(envName) {
      const env = await existing(envName);
      const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
      const refs = live?.config.secrets ?? {};
      const stored = new Map((await ctx.store.secrets.list(env.id)).map((s) => [s.name, s]));
      const newest = await newestVersions(ctx, env.id);
      const names = [...new Set([...Object.keys(refs), ...stored.keys()])].sort();
      return names.map((name) => listItem(name, refs[name], stored.get(name), newest[name], ctx.now()));
    },

    async history(envName, name) {
      const env = await existing(envName);
      return (await versionsOf(env, name)).map(({ version, createdAt, createdBy, keyId }) => ({
        version,
        createdAt,
        createdBy,
        keyId,
      }));
    },

    async get(envName, name, version, actor) {
      const env = await existing(envName);
      const versions = await versionsOf(env, name);
      const v = version ?? versions[0]!.version;
      // Recorded before the value leaves: a read that fails to open is audited too.
      await ctx.event({
        kind: "secret.read",
        subject: secretSubject(env, name),
        actor,
        message: `${actor} read ${name} v${v} in ${env.name}`,
        data: { environment: env.name, name, version: v },
      });
      return { name, version: v, value: await ctx.vault.open(env.id, name, v) };
    },

    async set(envName, name, value, actor) {
      const { env, ref } = await declared(envName, name);
      if (ref.addon) return rotateAddonLogin(env, name, ref, value, actor);
      const version = await change(env, name, value, actor, "secret.set");
      return (await published(env, [{ name, version }]))[0]!;
    },

    async rotate(envName, name, value, actor) {
      const { env, ref } = await declared(envName, name);
      if (ref.addon) return rotateAddonLogin(env, name, ref, value, actor);
      await versionsOf(env, name);
      if (value === undefined && !ref.generate)
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `${name} has no \`generate\` in the spec, so Slipway cannot make its new value`,
          `pass the new value on stdin: echo -n VALUE | slipway secrets rotate ${name} --env ${envName}; or declare secrets.${name}.generate`,
        );
      const version = await change(
        env,
        name,
        value ?? generateSecret(ref.generate!),
        actor,
        "secret.rotated",
      );
      return (await published(env, [{ name, version }]))[0]!;
    },

    async import(envName, values, actor) {
      const stack = await loadSpec(ctx.projectDir);
      const refs = secretRefsFor(stack.secrets, envName);
      const env = await ctx.store.environments.ensure(ctx.stackId, envName);
      const changed: { name: string; version: number }[] = [];
      const skipped: string[] = [];
      for (const [name, value] of Object.entries(values)) {
        // An add-on's password changes through `rotate`, which changes it in the database too.
        if (!Object.hasOwn(refs, name) || refs[name]!.addon) {
          skipped.push(name);
          continue;
        }
        changed.push({ name, version: await change(env, name, value, actor, "secret.set") });
      }
      return { imported: await published(env, changed), skipped };
    },
  };
}

function declarationIn(stack: Stack, envName: string, name: string): SecretRef {
  if (!Object.hasOwn(stack.environments, envName))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the spec has no environment "${envName}"`,
      `use one of: ${Object.keys(stack.environments).join(", ")}`,
    );
  const refs = secretRefsFor(stack.secrets, envName);
  if (!Object.hasOwn(refs, name))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the spec declares no secret ${name} for ${envName}`,
      `declare it under secrets in slipway.config.ts (e.g. secrets: { ${name}: { services: ["api"] } })${
        Object.keys(refs).length ? `; declared: ${Object.keys(refs).join(", ")}` : ""
      }`,
    );
  return refs[name]!;
}

function listItem(
  name: string,
  ref: SecretRef | undefined,
  stored: { version: number; createdAt: string; createdBy: string } | undefined,
  newest: { version: number; createdAt: number } | undefined,
  now: number,
): SecretListItem {
  const policy =
    ref?.maxAgeDays !== undefined
      ? { maxAgeDays: ref.maxAgeDays, overlapHours: ref.overlapHours }
      : undefined;
  const status = newest ? rotationStatus(newest, policy, now) : undefined;
  return {
    name,
    ...(stored ? { version: stored.version, createdAt: stored.createdAt, createdBy: stored.createdBy } : {}),
    rotation: status?.state ?? "not-set",
    ...(status && "dueAt" in status ? { dueAt: new Date(status.dueAt).toISOString() } : {}),
    ...(status?.state === "overdue" ? { overdueDays: status.overdueDays } : {}),
    ...(ref && ref.version > 0
      ? {
          published: {
            version: ref.version,
            ...(ref.previous !== undefined ? { previous: ref.previous } : {}),
            ...(ref.withdrawAt !== undefined ? { withdrawAt: new Date(ref.withdrawAt).toISOString() } : {}),
          },
        }
      : {}),
    ...(ref ? { services: ref.services } : {}),
  };
}
