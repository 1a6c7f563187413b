import { type AutoDeployTarget, SlipwayError } from "@slipway/core";
import type { Stack } from "@slipway/spec";
import type { EnvironmentRow, Store } from "@slipway/store";
import type { Ctx } from "../context";

/** The spec's environment by name (own keys only), or a user-fixable error listing the names. */
export function specEnvironment(stack: Stack, name: string): Stack["environments"][string] {
  if (!Object.hasOwn(stack.environments, name))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the spec has no environment "${name}"`,
      `use one of: ${Object.keys(stack.environments).join(", ")}`,
    );
  return stack.environments[name]!;
}

/** What core's promotion and auto-deploy decisions need of every environment in the spec. */
export async function promotionTargets(ctx: Ctx, stack: Stack): Promise<AutoDeployTarget[]> {
  const enabled = new Set((await ctx.store.promotions.autoDeploys(ctx.stackId)).map((a) => a.env));
  const holds = new Map((await ctx.store.promotions.holds(ctx.stackId)).map((h) => [h.env, h]));
  return Object.entries(stack.environments).map(([name, e]) => {
    const hold = holds.get(name);
    return {
      name,
      promotesFrom: e.promotesFrom,
      requiresApproval: e.requiresApproval,
      soakMinutes: e.soakMinutes,
      freeze: e.freeze,
      autoDeployBranch: e.autoDeploy?.branch,
      autoDeployEnabled: enabled.has(name),
      ...(hold ? { hold: { by: hold.heldBy, reason: hold.reason } } : {}),
    };
  });
}

/**
 * When a build last went live in an environment (a rollout to a release of it succeeded),
 * and when another build replaced it there since, as core's `decidePromotion` reads them.
 */
export async function upstreamOf(
  store: Pick<Store, "releases" | "rollouts">,
  env: EnvironmentRow | undefined,
  buildId: string,
): Promise<{ succeededAt: number | null; replacedAt: number | null }> {
  if (!env) return { succeededAt: null, replacedAt: null };
  const buildOf = new Map((await store.releases.list(env.id)).map((r) => [r.id, r.buildId]));
  // Oldest first: the switches that made a release live, in order.
  const switches = (await store.rollouts.list(env.id, 10_000))
    .filter((r) => r.phase === "succeeded" && r.toReleaseId)
    .reverse()
    .map((r) => ({ build: buildOf.get(r.toReleaseId!), at: Date.parse(r.updatedAt) }));
  let succeededAt: number | null = null;
  let replacedAt: number | null = null;
  for (const s of switches) {
    if (s.build === buildId) {
      // A stretch already live keeps its start; a new stretch starts now.
      if (succeededAt === null || replacedAt !== null) succeededAt = s.at;
      replacedAt = null;
    } else if (succeededAt !== null && replacedAt === null) replacedAt = s.at;
  }
  return { succeededAt, replacedAt };
}
