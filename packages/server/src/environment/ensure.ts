import { type AddonConfig, addonsOf, type ReleaseConfig, SlipwayError } from "@slipway/core";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { ensureAddons } from "./addons";
import { edgeOf, ensureEdge } from "./edge";
import { adoptProcesses } from "./processes";

/**
 * Brings an environment's foundations back: ports fixed once and kept, add-ons provisioned
 * and running, every recorded process that still runs adopted (the dead ones recorded gone,
 * for a rollout or a restore to start again), the edge up with the store's servers.
 * What it provides is what the environment's releases need: the live one, the rollout in
 * flight, and `requested` (a config being deployed), never the spec as it is now.
 */
export async function ensureEnvironment(
  ctx: Ctx,
  name: string,
  requested?: ReleaseConfig,
  requestedPort?: number,
): Promise<EnvironmentRow> {
  const needs = await neededBy(ctx, await ctx.store.environments.get(ctx.stackId, name), requested);
  // Before anything starts: a missing redis-server must not leave a fresh Postgres behind.
  ctx.driver.preflight({ addons: Object.values(needs.addons), edge: true });
  let env = await ctx.store.environments.ensure(ctx.stackId, name);
  await ctx.store.environments.setDesired(env.id, "active");
  // Ports picked one after another can come back equal (each was free when asked): keep
  // every one this environment holds distinct.
  const taken = new Set([...Object.values(env.internalPorts), env.publicPort, env.edgeLogPort]);
  const distinctFreePort = async () => {
    for (;;) {
      const port = await ctx.driver.runtime.allocatePort();
      if (taken.has(port)) continue;
      taken.add(port);
      return port;
    }
  };
  const internal = { ...env.internalPorts };
  for (const svc of needs.web) if (!internal[svc]) internal[svc] = await distinctFreePort();
  const edgeLogPort = env.edgeLogPort ?? (await distinctFreePort());
  const edge = edgeOf(ctx, { ...env, edgeLogPort });
  const publicPort =
    requestedPort === 0
      ? await keptOrFree(ctx, env.publicPort, await edge.isRunning(), distinctFreePort)
      : (requestedPort ?? env.publicPort ?? (name === "local" ? 8080 : await distinctFreePort()));
  if (!(await edge.isRunning()) || publicPort !== env.publicPort) {
    if (await edge.isRunning()) await edge.stop();
    if (!(await ctx.driver.runtime.isPortFree(publicPort))) throw portInUse(publicPort);
  }
  await ctx.store.environments.setPorts(env.id, { publicPort, edgeLogPort, internalPorts: internal });
  env = (await ctx.store.environments.get(ctx.stackId, name))!;
  await ensureAddons(ctx, env, needs.addons);
  // Adopt first: the edge then routes only to processes that really run.
  await adoptProcesses(ctx, env);
  await ensureEdge(ctx, env, requested);
  return env;
}

/** The add-ons and web services of the live release, the rollout in flight and the requested config. */
async function neededBy(ctx: Ctx, env: EnvironmentRow | undefined, requested: ReleaseConfig | undefined) {
  const live = env?.liveReleaseId
    ? (await ctx.store.releases.getRelease(env.liveReleaseId))?.config
    : undefined;
  const inFlight = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env?.id)?.config;
  const recorded = env ? await ctx.store.environments.addons(env.id) : [];
  const addons: Record<string, AddonConfig> = {};
  const web = new Set<string>();
  for (const config of [live, inFlight, requested]) {
    if (!config) continue;
    Object.assign(addons, addonsOf(config, recorded));
    for (const [svc, s] of Object.entries(config.services)) if (s.type === "web") web.add(svc);
  }
  return { addons, web };
}

/** `--port 0`: any free port the first time, then the same one (the URL people bookmarked). */
async function keptOrFree(
  ctx: Ctx,
  kept: number | null,
  edgeRunning: boolean,
  pick: () => Promise<number>,
): Promise<number> {
  if (edgeRunning && kept !== null) return kept;
  if (kept !== null && (await ctx.driver.runtime.isPortFree(kept))) return kept;
  // A port found free can be taken before we bind it (by any program's outgoing connection,
  // which uses the same range): "any port" then means another one, not an error.
  for (let attempt = 1; ; attempt++) {
    const port = await pick();
    if (attempt === 5 || (await ctx.driver.runtime.isPortFree(port))) return port;
  }
}

function portInUse(port: number): SlipwayError {
  return new SlipwayError(
    "SLW_PORT_IN_USE",
    `port ${port} on 127.0.0.1 is already in use by another program`,
    "stop that program or choose another port: slipway up --port N",
    { port },
  );
}
