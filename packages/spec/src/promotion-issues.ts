import type { ReferenceIssue } from "./references";

interface PromotionRules {
  promotesFrom?: string | undefined;
  soakMinutes: number;
  freeze: ({ from: string; until: string } | { days: string[]; from: string; until: string })[];
}

/**
 * What is wrong with the environments' promotion rules: a source that does not exist or is
 * the environment itself, a cycle (staging ← prod ← staging would never let anything in), a
 * soak time with nothing to soak in, and a freeze window that ends before it starts.
 */
export function promotionIssues(environments: Record<string, PromotionRules>): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const names = Object.keys(environments);
  for (const [name, env] of Object.entries(environments)) {
    const from = env.promotesFrom;
    const path = ["environments", name, "promotesFrom"];
    if (from !== undefined && !Object.hasOwn(environments, from))
      issues.push({
        path,
        message: `no environment named ${JSON.stringify(from)} to promote from`,
        params: { hint: `promote from one of: ${names.filter((n) => n !== name).join(", ")}` },
      });
    else if (from === name)
      issues.push({
        path,
        message: "an environment cannot promote from itself",
        params: { hint: "name the environment before this one (prod promotes from staging)" },
      });
    else if (from !== undefined && cycleFrom(environments, name))
      issues.push({
        path,
        message: `promotion cycle: ${cycleFrom(environments, name)!.join(" ← ")}`,
        params: { hint: "promotions go one way (dev → staging → prod); remove one promotesFrom" },
      });
    if (env.soakMinutes > 0 && from === undefined)
      issues.push({
        path: ["environments", name, "soakMinutes"],
        message: "a soak time needs an environment to soak in",
        params: { hint: "set promotesFrom, or remove soakMinutes" },
      });
    env.freeze.forEach((w, i) => {
      const backwards =
        "days" in w ? w.until !== "00:00" && w.until <= w.from : Date.parse(w.until) <= Date.parse(w.from);
      if (backwards)
        issues.push({
          path: ["environments", name, "freeze", i, "until"],
          message: `the window ends (${w.until}) before it starts (${w.from})`,
          params: { hint: "swap from and until, or split a window that spans midnight into two" },
        });
    });
  }
  return issues;
}

/** The chain back from `start` when it comes round to `start` again, else undefined. */
function cycleFrom(environments: Record<string, PromotionRules>, start: string): string[] | undefined {
  const chain = [start];
  let at = environments[start]?.promotesFrom;
  while (at !== undefined && Object.hasOwn(environments, at)) {
    chain.push(at);
    if (at === start) return chain;
    if (chain.length > Object.keys(environments).length + 1) return undefined;
    at = environments[at]?.promotesFrom;
  }
  return undefined;
}
