import type { Judgement } from "./judge";

/**
 * The release strategy's step machine, as a pure function called once per tick: given the
 * strategy, where the rollout stands (stored), what was observed in the current step and
 * the latest judgement of it, say the one next action and the state to store with it.
 * Time is injected (`now`), so it is tested tick by tick without sleeping.
 *
 * - `direct`: all traffic to the new revision at once.
 * - `canary`: each step sets the canary's weight and holds until both its time and its
 *   request count have passed and the judge says advance; a rollback judgement rolls back
 *   at any step (even when paused: pausing stops advancing, not watching), or freezes the
 *   rollout at its weight and asks a human when the release says "freeze, don't roll back".
 * - `blueGreen`: step 0 probes the new revision with no user traffic; when judged good,
 *   step 1 switches all traffic at once and keeps the old revision warm for `keepWarmMs`
 *   (a rollback then is instant), then retires it.
 * Commands: `pause`/`resume` stop and restart advancing, `promote` skips to all traffic,
 * `abort` rolls back whatever the judge says.
 */

export interface CanaryStep {
  /** Share of new requests sent to the canary, 0-100. */
  weight: number;
  /** Minimum time at this weight. */
  holdMs: number;
  /** Minimum canary requests observed at this weight (low traffic holds longer). */
  holdRequests: number;
}

export type RolloutStrategy =
  | { kind: "direct" }
  | { kind: "canary"; steps: CanaryStep[]; onFailure: "rollback" | "freeze" }
  | { kind: "blueGreen"; keepWarmMs: number; onFailure: "rollback" | "freeze" };

const MINUTE = 60_000;

/** 5 → 25 → 50 → 100, 30 minutes and 1,000 canary requests at each step (the seeds' prod default). */
export const DEFAULT_CANARY_STEPS: CanaryStep[] = [5, 25, 50, 100].map((weight) => ({
  weight,
  holdMs: 30 * MINUTE,
  holdRequests: 1_000,
}));

/** How often a holding rollout asks the judge again. */
export const JUDGE_INTERVAL_MS = 5_000;

export type RolloutCommand = "pause" | "resume" | "promote" | "abort";

export interface StepState {
  /** Index of the current step; -1 before the first. Blue/green: 0 probing, 1 switched and warm. */
  step: number;
  /** When the current step began (ms). */
  enteredAt: number;
  paused: boolean;
  /** Stopped at its weight after a failed judgement, waiting for promote or abort. */
  frozen: boolean;
  outcome?: "succeeded" | "rolled-back";
}

export const INITIAL_STEP_STATE: StepState = { step: -1, enteredAt: 0, paused: false, frozen: false };

export interface StepInput {
  strategy: RolloutStrategy;
  state: StepState;
  now: number;
  /** Canary requests observed since the current step began. */
  requestsInStep: number;
  /**
   * The latest judgement of the current step's window: counts since `state.enteredAt`, so
   * each step is judged afresh at its own weight (and its own α).
   */
  judgement?: Pick<Judgement, "verdict" | "reason">;
  command?: RolloutCommand;
}

export type StepAction =
  /** Send `weight`% of new requests to the new revision (100: all of them). */
  | { do: "set-weight"; weight: number; reason: string }
  | { do: "hold"; recheckMs: number; reason: string }
  /** Send all traffic back to the old revision and stop the new one. */
  | { do: "roll-back"; reason: string }
  /** Keep the current weight, stop advancing, ask a human (promote or abort). */
  | { do: "freeze"; reason: string }
  /** Blue/green: the warm period is over; stop the old revision. */
  | { do: "retire-old"; reason: string }
  | { do: "done"; reason: string };

export interface StepDecision {
  action: StepAction;
  state: StepState;
}

export function nextStep(input: StepInput): StepDecision {
  const { state, command } = input;
  if (state.outcome) return { action: { do: "done", reason: `rollout ${state.outcome}` }, state };
  if (command === "abort") return rollBack(input, "aborted by a human");
  if (command === "pause")
    return nextStep({ ...input, command: undefined, state: { ...state, paused: true } });
  if (command === "resume")
    return nextStep({ ...input, command: undefined, state: { ...state, paused: false, frozen: false } });
  switch (input.strategy.kind) {
    case "direct":
      return state.step < 0
        ? enter(input, 0, {
            do: "set-weight",
            weight: 100,
            reason: "direct: all traffic to the new revision",
          })
        : succeed(state, "direct: the new revision takes all traffic");
    case "canary":
      return canaryStep(input, input.strategy.steps, input.strategy.onFailure);
    case "blueGreen":
      return blueGreenStep(input, input.strategy.keepWarmMs, input.strategy.onFailure);
  }
}

function canaryStep(input: StepInput, steps: CanaryStep[], onFailure: "rollback" | "freeze"): StepDecision {
  const { state } = input;
  if (state.step < 0 && steps[0])
    return enter(input, 0, { do: "set-weight", weight: steps[0].weight, reason: "canary: first step" });
  const current = steps[state.step];
  // At 100% the stable revision still runs until the switch: a rollback judgement (a failing
  // probe gating the finish) still rolls back. A promoted rollout is past the steps: it is done.
  const failedAtFull = current && current.weight >= 100 && onFailed(input, onFailure, "at 100%");
  if (failedAtFull) return failedAtFull;
  if (!current || current.weight >= 100) return succeed(state, "canary: the new revision takes all traffic");
  if (input.command === "promote")
    return enter(input, steps.length, { do: "set-weight", weight: 100, reason: "promoted by a human" });
  const failed = onFailed(input, onFailure, `at ${current.weight}%`);
  if (failed) return failed;
  const waiting = holding(input, current.holdMs, current.holdRequests, `at ${current.weight}%`);
  if (waiting) return waiting;
  const next = steps[state.step + 1] ?? { weight: 100 };
  return enter(input, state.step + 1, {
    do: "set-weight",
    weight: next.weight,
    reason: `${current.weight}% → ${next.weight}%: ${input.judgement!.reason}`,
  });
}

function blueGreenStep(input: StepInput, keepWarmMs: number, onFailure: "rollback" | "freeze"): StepDecision {
  const { state, now } = input;
  if (state.step < 0)
    return enter(input, 0, {
      do: "hold",
      recheckMs: JUDGE_INTERVAL_MS,
      reason: "blue/green: probing the new revision before it takes traffic",
    });
  if (state.step >= 2) return succeed(state, "blue/green: switched, the old revision retired");
  const where = state.step === 0 ? "while probing" : "after the switch";
  const failed = onFailed(input, onFailure, where);
  if (failed) return failed;
  if (state.step === 0) {
    if (input.command !== "promote") {
      const waiting = holding(input, 0, 0, "while probing");
      if (waiting) return waiting;
    }
    const why = input.command === "promote" ? "promoted by a human" : input.judgement!.reason;
    return enter(input, 1, {
      do: "set-weight",
      weight: 100,
      reason: `blue/green: switch all traffic: ${why}`,
    });
  }
  const warmLeft = state.enteredAt + keepWarmMs - now;
  if (input.command !== "promote") {
    if (state.paused || state.frozen) return hold(state, `${state.frozen ? "frozen" : "paused"} ${where}`);
    if (warmLeft > 0)
      return hold(
        state,
        `blue/green: old revision kept warm ${Math.ceil(warmLeft / 1000)} s more`,
        Math.min(warmLeft, JUDGE_INTERVAL_MS),
      );
  }
  return enter(input, 2, {
    do: "retire-old",
    reason: "blue/green: warm period over, the old revision retires",
  });
}

/** Roll back (or freeze) on a rollback judgement; undefined when there is none. */
function onFailed(
  input: StepInput,
  onFailure: "rollback" | "freeze",
  where: string,
): StepDecision | undefined {
  const j = input.judgement;
  if (j?.verdict !== "rollback") return undefined;
  if (onFailure === "rollback") return rollBack(input, `${where}: ${j.reason}`);
  if (input.state.frozen) return undefined;
  return {
    action: { do: "freeze", reason: `${where}: ${j.reason}; the release says freeze, don't roll back` },
    state: { ...input.state, frozen: true },
  };
}

/** Hold while paused, frozen, inside the step's minimums, or not judged good; undefined when done holding. */
function holding(
  input: StepInput,
  holdMs: number,
  holdRequests: number,
  where: string,
): StepDecision | undefined {
  const { state, now, requestsInStep, judgement } = input;
  if (state.frozen) return hold(state, `frozen ${where}: promote or abort`);
  if (state.paused) return hold(state, `paused ${where}`);
  const timeLeft = state.enteredAt + holdMs - now;
  if (timeLeft > 0 || requestsInStep < holdRequests)
    return hold(
      state,
      `holding ${where}: ${Math.max(0, Math.ceil(timeLeft / 1000))} s and ${Math.max(0, holdRequests - requestsInStep)} requests left`,
      timeLeft > 0 ? Math.min(timeLeft, JUDGE_INTERVAL_MS) : JUDGE_INTERVAL_MS,
    );
  if (judgement?.verdict !== "advance")
    return hold(state, `holding ${where}: ${judgement ? judgement.reason : "not judged yet"}`);
  return undefined;
}

function hold(state: StepState, reason: string, recheckMs = JUDGE_INTERVAL_MS): StepDecision {
  return { action: { do: "hold", recheckMs, reason }, state };
}

function enter(input: StepInput, step: number, action: StepAction): StepDecision {
  return { action, state: { ...input.state, step, enteredAt: input.now, frozen: false } };
}

function succeed(state: StepState, reason: string): StepDecision {
  return { action: { do: "done", reason }, state: { ...state, outcome: "succeeded" } };
}

function rollBack(input: StepInput, reason: string): StepDecision {
  return { action: { do: "roll-back", reason }, state: { ...input.state, outcome: "rolled-back" } };
}
