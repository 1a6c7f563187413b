import { assertPortFree, freePort } from "@slipway/driver-local";
import type { EnvironmentRow } from "@slipway/store";
import type { Ctx } from "../context";
import { ensureAddons } from "./addons";
import { edgeOf, ensureEdge } from "./edge";
import { preflight } from "./preflight";
import { adoptProcesses } from "./processes";

/**
 * Brings an environment's foundations back: ports fixed once and kept, add-ons provisioned
 * and running, every recorded process that still runs adopted (the dead ones recorded gone,
 * for a rollout or a restore to start again), the edge up with the store's servers.
 */
export async function ensureEnvironment(
  ctx: Ctx,
  name: string,
  requestedPort?: number,
): Promise<EnvironmentRow> {
  preflight(ctx.stack);
  let env = await ctx.store.environments.ensure(ctx.stackId, name);
  await ctx.store.environments.setDesired(env.id, "active");
  // Ports picked one after another can come back equal (each was free when asked): keep
  // every one this environment holds distinct.
  const taken = new Set([...Object.values(env.internalPorts), env.publicPort, env.edgeLogPort]);
  const distinctFreePort = async () => {
    for (;;) {
      const port = await freePort();
      if (taken.has(port)) continue;
      taken.add(port);
      return port;
    }
  };
  const internal = { ...env.internalPorts };
  for (const [svc, s] of Object.entries(ctx.stack.services))
    if (s.type === "web" && !internal[svc]) internal[svc] = await distinctFreePort();
  const edgeLogPort = env.edgeLogPort ?? (await distinctFreePort());
  const edge = edgeOf(ctx, { ...env, edgeLogPort });
  const publicPort =
    requestedPort === 0
      ? await keptOrFree(env.publicPort, await edge.isRunning(), distinctFreePort)
      : (requestedPort ?? env.publicPort ?? (name === "local" ? 8080 : await distinctFreePort()));
  if (!(await edge.isRunning()) || publicPort !== env.publicPort) {
    if (await edge.isRunning()) await edge.stop();
    await assertPortFree(publicPort, `slipway up --port N`);
  }
  await ctx.store.environments.setPorts(env.id, { publicPort, edgeLogPort, internalPorts: internal });
  env = (await ctx.store.environments.get(ctx.stackId, name))!;
  const addons = await ensureAddons(ctx, env);
  // Adopt first: the edge then routes only to processes that really run.
  await adoptProcesses(ctx, env, addons);
  await ensureEdge(ctx, env);
  return env;
}

/** `--port 0`: any free port the first time, then the same one (the URL people bookmarked). */
async function keptOrFree(
  kept: number | null,
  edgeRunning: boolean,
  pick: () => Promise<number>,
): Promise<number> {
  if (kept === null) return pick();
  if (edgeRunning) return kept;
  return assertPortFree(kept, "").then(
    () => kept,
    () => pick(),
  );
}
