import { assessCanary, DEFAULT_JUDGE_POLICY, type JudgePolicy } from "./judge";
import { judgeInput } from "./policies";
import { seededRandom } from "./random";
import { type SimArm, type SimulateOptions, SLICE_S, type TrafficModel, trafficRun } from "./simulate";
import { INITIAL_STEP_STATE, nextStep, type RolloutStrategy } from "./steps";

/**
 * Whole canary rollouts in the simulator: the step machine and the judge together, tick by
 * tick every 5 s, the canary's share of the simulated traffic following the weights the
 * steps set, each step judged on its own counts. The model's `canaryShare` is ignored.
 */

export interface RolloutOutcome {
  outcome: "succeeded" | "rolled-back" | "frozen" | "unfinished";
  /** Seconds from the start of the rollout to the outcome (or the end of the simulation). */
  atS: number;
  /** The canary's weight when it ended. */
  weight: number;
}

export function simulateRollouts(
  model: TrafficModel,
  strategy: Extract<RolloutStrategy, { kind: "canary" }>,
  options: SimulateOptions & { policy?: JudgePolicy },
): RolloutOutcome[] {
  const policy = options.policy ?? DEFAULT_JUDGE_POLICY;
  return Array.from({ length: options.runs }, (_, run) =>
    simulateRollout(model, strategy, policy, options.durationS, options.seed * 1_000_003 + run),
  );
}

function simulateRollout(
  model: TrafficModel,
  strategy: RolloutStrategy,
  policy: JudgePolicy,
  durationS: number,
  seed: number,
): RolloutOutcome {
  const budget = policy.latency?.budgetMs;
  const counts = (a: SimArm) => judgeInput(a, budget);
  const traffic = trafficRun(model, budget !== undefined ? [budget] : [], seededRandom(seed));
  let state = INITIAL_STEP_STATE;
  let weight = 0;
  let stepStart = traffic.mark();
  for (let t = 0; t <= durationS; t += SLICE_S) {
    if (t > 0) traffic.draw(t, weight / 100);
    const inStep = traffic.since(stepStart);
    const a =
      weight > 0
        ? assessCanary({ canary: counts(inStep.canary), stable: counts(inStep.stable) }, policy)
        : undefined;
    const d = nextStep({
      strategy,
      state,
      now: t * 1000,
      requestsInStep: inStep.canary.requests,
      ...(a ? { judgement: { verdict: a.verdict, reason: a.basis.kind } } : {}),
    });
    state = d.state;
    switch (d.action.do) {
      case "set-weight":
        weight = d.action.weight;
        stepStart = traffic.mark();
        break;
      case "roll-back":
        return { outcome: "rolled-back", atS: t, weight };
      case "freeze":
        return { outcome: "frozen", atS: t, weight };
      case "done":
        return { outcome: "succeeded", atS: t, weight };
    }
  }
  return { outcome: "unfinished", atS: durationS, weight };
}
