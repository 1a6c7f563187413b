import { activeFreeze, describeFreeze, type FreezeWindow } from "./freeze";

/** What an environment says about what may be released into it. */
export interface PromotionRules {
  name: string;
  promotesFrom?: string | undefined;
  requiresApproval: boolean;
  soakMinutes: number;
  freeze: readonly FreezeWindow[];
}

export interface PromotionRequest {
  target: PromotionRules;
  /** The environment the build comes from, as asked. */
  from: string;
  build: {
    id: string;
    /** A rejected build is never promoted again, anywhere. */
    rejected?: { by: string; reason: string } | undefined;
  };
  /**
   * The build in the source environment: when a release of it succeeded there (null: it
   * never did) and, if it is no longer live there, when it stopped being live.
   */
  upstream: { succeededAt: number | null; replacedAt: number | null };
  /** Who approved this promotion, once someone did. */
  approval: { by: string; at: number } | null;
  now: number;
}

export interface Refusal {
  /** Which rule refused: the field of the spec, or the state that stands in the way. */
  rule: "promotesFrom" | "upstream" | "soakMinutes" | "freeze" | "rejected";
  reason: string;
  hint: string;
}

export type PromotionDecision =
  | { do: "release" }
  /** Everything else allows it; a user with the approver role has to say yes. */
  | { do: "await-approval" }
  | { do: "refuse"; refusals: Refusal[] };

/**
 * Whether a build may be released into an environment now. Every rule that refuses is
 * reported, not just the first, so one answer says all there is to fix. Approval is asked
 * for only once nothing else refuses: nobody should approve what cannot go out.
 */
export function decidePromotion(r: PromotionRequest): PromotionDecision {
  const refusals: Refusal[] = [];
  const { target, build, upstream, now } = r;
  if (build.rejected)
    refusals.push({
      rule: "rejected",
      reason: `build ${short(build.id)} was rejected by ${build.rejected.by}: ${build.rejected.reason}`,
      hint: "a rejected build is never promoted; fix it and deploy a new build",
    });
  if (target.promotesFrom !== undefined && target.promotesFrom !== r.from)
    refusals.push({
      rule: "promotesFrom",
      reason: `${target.name} promotes from ${target.promotesFrom}, not ${r.from}`,
      hint: `promote from ${target.promotesFrom}: slipway promote ${target.promotesFrom} ${target.name}`,
    });
  if (upstream.succeededAt === null)
    refusals.push({
      rule: "upstream",
      reason: `build ${short(build.id)} has no successful release in ${r.from}`,
      hint: `deploy it to ${r.from} first, or promote a build that went live there`,
    });
  else if (target.soakMinutes > 0) {
    const soakedMs = (upstream.replacedAt ?? now) - upstream.succeededAt;
    const neededMs = target.soakMinutes * 60_000;
    if (soakedMs < neededMs)
      refusals.push({
        rule: "soakMinutes",
        reason: `build ${short(build.id)} ran ${minutes(soakedMs)} in ${r.from}; ${target.name} needs ${target.soakMinutes} min`,
        hint:
          upstream.replacedAt === null
            ? `try again in ${minutes(neededMs - soakedMs)}`
            : `it is no longer live in ${r.from}; promote the build that is`,
      });
  }
  const frozen = activeFreeze(target.freeze, now);
  if (frozen)
    refusals.push({
      rule: "freeze",
      reason: `${target.name} is frozen ${describeFreeze(frozen)}`,
      hint: "wait for the window to end, or change the environment's freeze in the spec",
    });
  if (refusals.length) return { do: "refuse", refusals };
  if (target.requiresApproval && !r.approval) return { do: "await-approval" };
  return { do: "release" };
}

const short = (id: string) => id.slice(0, 12);
const minutes = (ms: number) => `${Math.max(1, Math.ceil(ms / 60_000))} min`;
