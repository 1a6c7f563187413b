import { timingSafeEqual } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  type FlagDefinition,
  type FlagState,
  type FlagView,
  flagSnapshot,
  SlipwayError,
} from "@slipway/core";
import { closestMatch } from "@slipway/spec";
import type { EnvironmentRow, FlagChangeRow, ReleaseRow } from "@slipway/store";
import { apiTrustEnv } from "./api-trust";
import type { Ctx } from "./context";

/** The flags of one environment as the API and the stream send them. */
export interface FlagsSnapshot {
  environment: string;
  flags: Record<string, FlagView>;
}

/** What the API can ask about flags; every change is one transaction with its audit event. */
export interface FlagOperations {
  list(env: string): Promise<FlagsSnapshot>;
  set(env: string, name: string, state: FlagState, actor: string): Promise<FlagsSnapshot>;
  history(env: string, name: string): Promise<FlagChangeRow[]>;
  /** Calls `listener` with each new snapshot of the environment; returns the unsubscribe. */
  subscribe(env: string, listener: (s: FlagsSnapshot) => void): () => void;
  /** Whether `token` is the environment's runtime token (it can only read flags). */
  isRuntimeToken(env: string, token: string): boolean;
}

/** How often an environment with listeners is checked for a new live release (new flag definitions). */
const LIVE_RELEASE_CHECK_MS = 500;

export function flagOperations(ctx: Ctx): FlagOperations {
  // Changes are announced in-process: one control plane serves an environment's streams.
  const changes = new EventEmitter().setMaxListeners(0);
  const watching = new Map<string, NodeJS.Timeout>();
  /**
   * A deploy (or rollback) that changes flag definitions, a kill switch's default say, changes
   * what every running service must evaluate: the live release is watched while anyone
   * listens, and its switch announces a new snapshot like a `flags set` does.
   */
  const watchLiveRelease = (envName: string) => {
    if (watching.has(envName)) return;
    let seen: string | null | undefined;
    const check = async () => {
      const env = await ctx.store.environments.get(ctx.stackId, envName);
      if (!env) return;
      if (seen !== undefined && env.liveReleaseId !== seen) changes.emit(envName, await snapshotOf(env));
      seen = env.liveReleaseId;
    };
    const timer = setInterval(
      () =>
        void check().catch((e) => ctx.log.warn({ err: e }, "flag stream: reading the live release failed")),
      LIVE_RELEASE_CHECK_MS,
    ).unref();
    watching.set(envName, timer);
    void check().catch(() => {});
  };
  const envNamed = async (name: string) => {
    const env = await ctx.store.environments.get(ctx.stackId, name);
    if (!env)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no environment "${name}" is running`,
        `deploy to it first: slipway deploy --env ${name}`,
      );
    return env;
  };
  const snapshotOf = async (env: EnvironmentRow): Promise<FlagsSnapshot> => ({
    environment: env.name,
    flags: flagSnapshot(await definitionsOf(ctx, env), storedFlags(await ctx.store.flags.list(env.id))),
  });
  const defined = async (env: EnvironmentRow, name: string) => {
    const defs = await definitionsOf(ctx, env);
    if (Object.hasOwn(defs, name)) return;
    const near = closestMatch(name, Object.keys(defs));
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no flag "${name}" in ${env.name}${near ? `; did you mean "${near}"?` : ""}`,
      Object.keys(defs).length
        ? `use one of: ${Object.keys(defs).join(", ")}; new flags are declared under flags in slipway.config.ts and deployed`
        : "declare flags under flags in slipway.config.ts and deploy",
    );
  };
  /** One optimistic write with its audit event in the same transaction; undefined on a race. */
  const setOnce = async (env: EnvironmentRow, name: string, state: FlagState, actor: string) => {
    const current = (await ctx.store.flags.list(env.id)).find((f) => f.name === name);
    return ctx.store.transaction(async (tx) => {
      const v = await tx.flags.set(env.id, name, { ...state }, current?.version ?? 0, actor);
      if (v !== undefined)
        await tx.events.append({
          actor,
          kind: "flag.set",
          subject: `${env.name}/flag/${name}`,
          message: `${actor} set flag ${name} in ${env.name} to ${describeState(state)}`,
          data: { environment: env.name, flag: name, version: v, from: current?.state ?? null, to: state },
        });
      return v;
    });
  };
  return {
    list: async (name) => snapshotOf(await envNamed(name)),
    async set(envName, name, state, actor) {
      const env = await envNamed(envName);
      await defined(env, name);
      // A set overwrites whatever is there: on a concurrent change, read the version again.
      let version: number | undefined;
      for (let attempt = 0; attempt < 5 && version === undefined; attempt++)
        version = await setOnce(env, name, state, actor);
      if (version === undefined)
        throw new SlipwayError(
          "SLW_CONFLICT",
          `flag "${name}" in ${env.name} keeps being changed by someone else`,
          "see it with slipway flags list, then set it again",
        );
      const snapshot = await snapshotOf(env);
      changes.emit(env.name, snapshot);
      return snapshot;
    },
    async history(envName, name) {
      const env = await envNamed(envName);
      await defined(env, name);
      return ctx.store.flags.history(env.id, name);
    },
    subscribe(env, listener) {
      changes.on(env, listener);
      watchLiveRelease(env);
      return () => {
        changes.off(env, listener);
        if (changes.listenerCount(env) > 0) return;
        clearInterval(watching.get(env));
        watching.delete(env);
      };
    },
    isRuntimeToken(env, token) {
      const expected = Buffer.from(runtimeToken(ctx, env));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * The token a service uses to read its environment's flags, derived from the master key:
 * nothing to store, the same after a restart, and useless for anything but the flag stream.
 */
export const runtimeToken = (ctx: Ctx, env: string) =>
  `slwf_${ctx.box.derive(`flags-stream:${ctx.stackId}/${env}`)}`;

/**
 * What a service process of `release` is started with to follow its flags: where the stream
 * is, its token, and the spec's defaults (used until the stream answers). Nothing when the
 * release defines no flag, or before the API listens.
 */
export function flagsEnv(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Record<string, string> {
  const defs = release.config.flags ?? {};
  const api = ctx.apiUrl?.();
  if (!Object.keys(defs).length || !api) return {};
  return {
    SLIPWAY_FLAGS_URL: `${api}/v1/environments/${encodeURIComponent(env.name)}/flags/stream`,
    SLIPWAY_FLAGS_TOKEN: runtimeToken(ctx, env.name),
    ...apiTrustEnv(ctx),
    SLIPWAY_FLAGS_DEFAULTS: JSON.stringify(
      Object.fromEntries(Object.entries(defs).map(([n, d]) => [n, d.default])),
    ),
  };
}

/** The live release's flags: what the spec declared when it was deployed. */
async function definitionsOf(ctx: Ctx, env: EnvironmentRow): Promise<Record<string, FlagDefinition>> {
  if (!env.liveReleaseId) return {};
  return (await ctx.store.releases.getRelease(env.liveReleaseId))?.config.flags ?? {};
}

const storedFlags = (rows: { name: string; state: Record<string, unknown>; version: number }[]) =>
  rows.map((r) => ({ name: r.name, state: r.state as unknown as FlagState, version: r.version }));

function describeState(s: FlagState): string {
  if (!s.on) return "off";
  const parts = [s.percent !== undefined && s.percent < 100 ? `on for ${s.percent}%` : "on"];
  if (s.allow?.length) parts.push(`and for ${s.allow.join(", ")}`);
  return parts.join(" ");
}
