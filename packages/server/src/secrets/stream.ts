import { timingSafeEqual } from "node:crypto";
import { SlipwayError } from "@slipway/core";
import type { EnvironmentRow } from "@slipway/store";
import { apiTrustEnv } from "../api-trust";
import type { Ctx } from "../context";
import { secretSubject } from "./publish";

const HOUR = 3_600_000;
/** How often a connected service's secrets are checked for a new version or a withdrawal. */
const CHECK_MS = 500;

/** One secret as a service's stream carries it (the runtime SDK's SecretView). */
interface Delivered {
  version: number;
  value: string;
  previous?: { version: number; value: string };
}

/**
 * The token a service process reads its own secrets with: derived from the master key per
 * environment and service, so one service's token opens no other service's secrets, and
 * it can do nothing else.
 */
export const secretsRuntimeToken = (ctx: Ctx, env: string, service: string) =>
  `slws_${ctx.box.derive(`secrets-stream:${ctx.stackId}/${env}/${service}`)}`;

/** Where a service of `config` follows its secrets, when it receives any; nothing before the API listens. */
export function secretsStreamEnv(
  ctx: Ctx,
  env: EnvironmentRow,
  config: { secrets?: Record<string, { services: string[]; addon?: string }> },
  service: string,
): Record<string, string> {
  const api = ctx.apiUrl?.();
  const receives = Object.values(config.secrets ?? {}).some((r) => !r.addon && r.services.includes(service));
  if (!receives || !api) return {};
  return {
    SLIPWAY_SECRETS_URL: `${api}/v1/environments/${encodeURIComponent(env.name)}/secrets/stream/${encodeURIComponent(service)}`,
    SLIPWAY_SECRETS_TOKEN: secretsRuntimeToken(ctx, env.name, service),
    ...apiTrustEnv(ctx),
  };
}

export interface SecretStreams {
  isRuntimeToken(env: string, service: string, token: string): boolean;
  /**
   * Sends the service's secrets now and again whenever a version is added or a previous one
   * withdrawn; each delivery is an audit event (names and versions, never values). Returns the stop.
   */
  follow(
    env: string,
    service: string,
    send: (secrets: Record<string, Delivered>) => void,
  ): Promise<() => void>;
}

export function secretStreams(ctx: Ctx): SecretStreams {
  /** What the service should hold now: names and versions only, nothing opened yet. */
  const plan = async (env: EnvironmentRow, service: string) => {
    const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
    const newest = new Map((await ctx.store.secrets.list(env.id)).map((s) => [s.name, s]));
    const out: { name: string; version: number; previous?: number }[] = [];
    for (const [name, ref] of Object.entries(live?.config.secrets ?? {})) {
      const latest = newest.get(name);
      if (ref.addon || !ref.services.includes(service) || !latest) continue;
      // During the overlap after a rotation the replaced value stays valid (dual-publish).
      const overlap = new Date(latest.createdAt).getTime() + ref.overlapHours * HOUR > ctx.now();
      out.push({
        name,
        version: latest.version,
        ...(overlap && latest.version > 1 ? { previous: latest.version - 1 } : {}),
      });
    }
    return out;
  };

  return {
    isRuntimeToken(env, service, token) {
      const expected = Buffer.from(secretsRuntimeToken(ctx, env, service));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },

    async follow(envName, service, send) {
      const envOf = async () => {
        const env = await ctx.store.environments.get(ctx.stackId, envName);
        if (!env)
          throw new SlipwayError(
            "SLW_NOT_FOUND",
            `no environment "${envName}" is running`,
            `deploy to it first: slipway deploy --env ${envName}`,
          );
        return env;
      };
      let sent = "";
      const deliver = async () => {
        const env = await envOf();
        const wanted = await plan(env, service);
        const key = JSON.stringify(wanted);
        if (key === sent) return;
        const secrets: Record<string, Delivered> = {};
        for (const w of wanted)
          secrets[w.name] = {
            version: w.version,
            value: await ctx.vault.open(env.id, w.name, w.version),
            ...(w.previous !== undefined
              ? { previous: { version: w.previous, value: await ctx.vault.open(env.id, w.name, w.previous) } }
              : {}),
          };
        for (const w of wanted)
          await ctx.event({
            kind: "secret.read",
            subject: secretSubject(env, w.name),
            actor: `service:${service}`,
            message: `${service} in ${env.name} received ${w.name} v${w.version}${w.previous !== undefined ? ` (and v${w.previous})` : ""} through its secret stream`,
            data: { environment: env.name, name: w.name, version: w.version, service },
          });
        sent = key;
        send(secrets);
      };
      await deliver();
      const timer = setInterval(
        () =>
          void deliver().catch((e) =>
            ctx.log.warn({ err: e }, `secret stream of ${service} in ${envName} failed`),
          ),
        CHECK_MS,
      ).unref();
      return () => clearInterval(timer);
    },
  };
}
