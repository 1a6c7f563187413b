import type { Judgement, Verdict } from "./judge";

/**
 * A release moves all its changed services in lockstep, so it is judged as one: any service
 * judged worse rolls the whole group back; the group advances only when every service may;
 * otherwise it holds. Each service's judgement keeps its own numbers. Each service's
 * false-rollback bound adds up (k services with α each: at most k·α for the release).
 */
export interface GroupJudgement {
  verdict: Verdict;
  reason: string;
  services: Record<string, Judgement>;
}

export function judgeGroup(services: Record<string, Judgement>): GroupJudgement {
  const entries = Object.entries(services);
  const said = (v: Verdict) => entries.filter(([, j]) => j.verdict === v);
  const lines = (xs: [string, Judgement][]) => xs.map(([name, j]) => `${name}: ${j.reason}`).join(" | ");
  if (!entries.length) return { verdict: "hold", reason: "inconclusive: no service judged", services };
  const worse = said("rollback");
  if (worse.length)
    return { verdict: "rollback", reason: `${lines(worse)}; the whole release rolls back`, services };
  const waiting = said("hold");
  if (waiting.length) return { verdict: "hold", reason: lines(waiting), services };
  return {
    verdict: "advance",
    reason: `every service within limits: ${entries.map(([n]) => n).join(", ")}`,
    services,
  };
}
