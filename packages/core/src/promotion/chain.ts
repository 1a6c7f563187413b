import type { PromotionRules } from "./decide";

export interface AutoDeployTarget extends PromotionRules {
  /** The branch the spec says deploys here, when it does. */
  autoDeployBranch?: string | undefined;
  /** An admin turned auto-deploy on for this environment (the spec alone does not). */
  autoDeployEnabled: boolean;
  /** Someone promoted a build here by hand: auto-deploy leaves it alone until lifted. */
  hold?: { by: string; reason: string } | undefined;
}

export type ChainStep = { env: string; do: "deploy" } | { env: string; do: "skip"; reason: string };

/**
 * The environments a new commit of `branch` deploys to, in promotion order (dev before
 * staging: an environment comes after the one it promotes from). The caller deploys them
 * one after another and stops the chain at the first failure, saying so; skipped
 * environments say why.
 */
export function autoDeployChain(envs: readonly AutoDeployTarget[], branch: string): ChainStep[] {
  const wanted = envs.filter((e) => e.autoDeployBranch === branch);
  return promotionOrder(wanted).map((e): ChainStep => {
    if (!e.autoDeployEnabled)
      return { env: e.name, do: "skip", reason: "auto-deploy is not enabled for it (an admin enables it)" };
    if (e.hold) return { env: e.name, do: "skip", reason: `held by ${e.hold.by}: ${e.hold.reason}` };
    return { env: e.name, do: "deploy" };
  });
}

/** Upstream first: by depth in the promotesFrom chain, then by name (stable for equal depth). */
export function promotionOrder<T extends PromotionRules>(envs: readonly T[]): T[] {
  const byName = new Map(envs.map((e) => [e.name, e]));
  const depth = (e: T, seen = new Set<string>()): number => {
    const up = e.promotesFrom !== undefined ? byName.get(e.promotesFrom) : undefined;
    if (!up || seen.has(e.name)) return 0;
    seen.add(e.name);
    return 1 + depth(up, seen);
  };
  return [...envs].sort((a, b) => depth(a) - depth(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
