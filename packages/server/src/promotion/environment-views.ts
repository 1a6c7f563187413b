import { readFileSync } from "node:fs";
import { deploymentManifest, diffEnvironments, SlipwayError } from "@slipway/core";
import type { Ctx } from "../context";
import { loadSpec } from "../spec";
import { specEnvironment } from "./rules";

const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** `slipway manifest` and `slipway diff`: what an environment runs, read from its live release. */
export function environmentViews(ctx: Ctx) {
  /** The environment's row and live release (with its build), or a user-fixable error for an unknown name. */
  const liveOf = async (name: string) => {
    const stack = await loadSpec(ctx.projectDir);
    const spec = specEnvironment(stack, name);
    const env = await ctx.store.environments.get(ctx.stackId, name);
    const release = env?.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
    const build = release ? await ctx.store.releases.getBuild(release.buildId) : undefined;
    return { spec, env, release, build };
  };
  return {
    async manifest(name: string) {
      const { env, release, build } = await liveOf(name);
      const processes = env ? await ctx.store.processes.forEnvironment(env.id) : [];
      const running: Record<string, number> = {};
      for (const p of processes)
        if (p.releaseId === release?.id && p.desired === "running" && p.pid !== null)
          running[p.service] = (running[p.service] ?? 0) + 1;
      // When the live release took traffic: the rollout that made it live.
      const wentLive = release
        ? (await ctx.store.rollouts.list(env!.id, 1000)).find(
            (r) => r.toReleaseId === release.id && r.phase === "succeeded",
          )?.updatedAt
        : undefined;
      return deploymentManifest({
        environment: name,
        live: release
          ? {
              number: release.number,
              buildId: release.buildId,
              gitSha: build?.gitSha ?? null,
              config: release.config,
            }
          : undefined,
        edgeUrl: env?.publicPort ? `http://127.0.0.1:${env.publicPort}` : null,
        running,
        lastApplied: wentLive ?? null,
        target: { name: "local", version: VERSION },
      });
    },
    async diff(a: string, b: string) {
      if (a === b)
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `both sides are ${a}`,
          "name two environments: slipway diff staging prod",
        );
      const [x, y] = [await liveOf(a), await liveOf(b)];
      const state = (name: string, s: typeof x) => ({
        name,
        build: s.release?.buildId ?? null,
        config: s.release?.config ?? null,
        strategy: s.spec.strategy,
      });
      return {
        a,
        b,
        ...diffEnvironments(state(a, x), state(b, y)),
        // Secrets are versioned per environment once the secrets store lands in releases.
        secrets: "not compared yet: releases do not record secret versions",
      };
    },
  };
}
