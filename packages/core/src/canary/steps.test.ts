import { describe, expect, it } from "vitest";
import type { Verdict } from "./judge";
import {
  type CanaryStep,
  DEFAULT_CANARY_STEPS,
  INITIAL_STEP_STATE,
  nextStep,
  type RolloutCommand,
  type RolloutStrategy,
  type StepDecision,
  type StepState,
} from "./steps";

const MIN = 60_000;
const judged = (verdict: Verdict) => ({ verdict, reason: `judged ${verdict}` });
const steps: CanaryStep[] = [
  { weight: 5, holdMs: 10 * MIN, holdRequests: 500 },
  { weight: 50, holdMs: 10 * MIN, holdRequests: 500 },
  { weight: 100, holdMs: 0, holdRequests: 0 },
];
const canary: RolloutStrategy = { kind: "canary", steps, onFailure: "rollback" };
const frozenCanary: RolloutStrategy = { kind: "canary", steps, onFailure: "freeze" };
const blueGreen: RolloutStrategy = { kind: "blueGreen", keepWarmMs: 15 * MIN, onFailure: "rollback" };

/** One tick: the decision for `state` at `now`, given what was observed in the step. */
function tick(
  strategy: RolloutStrategy,
  state: StepState,
  now: number,
  opts: { requests?: number; verdict?: Verdict; command?: RolloutCommand } = {},
): StepDecision {
  return nextStep({
    strategy,
    state,
    now,
    requestsInStep: opts.requests ?? 0,
    ...(opts.verdict ? { judgement: judged(opts.verdict) } : {}),
    ...(opts.command ? { command: opts.command } : {}),
  });
}

/** A canary at its first step (5%), entered at t=0. */
const atFirstStep = (strategy = canary) => tick(strategy, INITIAL_STEP_STATE, 0).state;

describe("nextStep: direct", () => {
  it("sends all traffic at once, then is done", () => {
    const first = tick({ kind: "direct" }, INITIAL_STEP_STATE, 0);
    expect(first.action).toMatchObject({ do: "set-weight", weight: 100 });
    const second = tick({ kind: "direct" }, first.state, 1000);
    expect(second.action.do).toBe("done");
    expect(second.state.outcome).toBe("succeeded");
  });
});

describe("nextStep: canary", () => {
  it("defaults to 5 → 25 → 50 → 100, holding 30 minutes and 1,000 requests each", () => {
    expect(DEFAULT_CANARY_STEPS.map((s) => s.weight)).toEqual([5, 25, 50, 100]);
    expect(DEFAULT_CANARY_STEPS[0]).toMatchObject({ holdMs: 30 * MIN, holdRequests: 1000 });
  });

  it("starts at the first step's weight", () => {
    const d = tick(canary, INITIAL_STEP_STATE, 42);
    expect(d.action).toMatchObject({ do: "set-weight", weight: 5 });
    expect(d.state).toMatchObject({ step: 0, enteredAt: 42 });
  });

  it("holds until the step's time has passed, even when judged good, and rechecks within 5 s", () => {
    const d = tick(canary, atFirstStep(), 9 * MIN, { requests: 5000, verdict: "advance" });
    expect(d.action).toMatchObject({ do: "hold", recheckMs: 5000 });
    expect(d.action.do === "hold" && d.action.reason).toBe("holding at 5%: 60 s and 0 requests left");
  });

  it("holds until the step's requests were observed (low traffic), even after its time", () => {
    const d = tick(canary, atFirstStep(), 60 * MIN, { requests: 499, verdict: "advance" });
    expect(d.action.do === "hold" && d.action.reason).toBe("holding at 5%: 0 s and 1 requests left");
  });

  it("holds past the minimums while the judge is inconclusive or has not judged", () => {
    const inconclusive = tick(canary, atFirstStep(), 11 * MIN, { requests: 600, verdict: "hold" });
    expect(inconclusive.action.do === "hold" && inconclusive.action.reason).toBe(
      "holding at 5%: judged hold",
    );
    const unjudged = tick(canary, atFirstStep(), 11 * MIN, { requests: 600 });
    expect(unjudged.action.do === "hold" && unjudged.action.reason).toBe("holding at 5%: not judged yet");
  });

  it("advances to the next weight once held and judged good, restarting the step's clock", () => {
    const d = tick(canary, atFirstStep(), 11 * MIN, { requests: 600, verdict: "advance" });
    expect(d.action).toMatchObject({ do: "set-weight", weight: 50, reason: "5% → 50%: judged advance" });
    expect(d.state).toMatchObject({ step: 1, enteredAt: 11 * MIN });
  });

  it("walks every step to 100% and is done", () => {
    let state = INITIAL_STEP_STATE;
    let now = 0;
    const weights: number[] = [];
    for (let i = 0; i < 10 && !state.outcome; i++) {
      const d = tick(canary, state, now, { requests: 1000, verdict: "advance" });
      if (d.action.do === "set-weight") weights.push(d.action.weight);
      state = d.state;
      now += 11 * MIN;
    }
    expect(weights).toEqual([5, 50, 100]);
    expect(state.outcome).toBe("succeeded");
  });

  it("at its last step (100%) a rollback judgement, such as a failing probe, still rolls back before the switch", () => {
    const atFull = { ...atFirstStep(), step: 2 };
    expect(tick(canary, atFull, 1000, { verdict: "rollback" }).action).toEqual({
      do: "roll-back",
      reason: "at 100%: judged rollback",
    });
    expect(tick(canary, atFull, 1000, { verdict: "hold" }).state.outcome).toBe("succeeded");
  });

  it("rolls back on a rollback judgement at once, whatever the holds, and is then done", () => {
    const d = tick(canary, atFirstStep(), 1000, { requests: 3, verdict: "rollback" });
    expect(d.action).toEqual({ do: "roll-back", reason: "at 5%: judged rollback" });
    expect(d.state.outcome).toBe("rolled-back");
    expect(tick(canary, d.state, 2000, { verdict: "advance" }).action).toEqual({
      do: "done",
      reason: "rollout rolled-back",
    });
  });

  it("pauses advancing but still rolls back while paused; resume advances again", () => {
    const paused = tick(canary, atFirstStep(), 11 * MIN, {
      requests: 600,
      verdict: "advance",
      command: "pause",
    });
    expect(paused.action.do === "hold" && paused.action.reason).toBe("paused at 5%");
    expect(paused.state.paused).toBe(true);
    expect(tick(canary, paused.state, 12 * MIN, { requests: 600, verdict: "rollback" }).action.do).toBe(
      "roll-back",
    );
    const resumed = tick(canary, paused.state, 12 * MIN, {
      requests: 600,
      verdict: "advance",
      command: "resume",
    });
    expect(resumed.action).toMatchObject({ do: "set-weight", weight: 50 });
  });

  it("promote skips to 100% whatever the judgement, then is done", () => {
    const d = tick(canary, atFirstStep(), 1000, { verdict: "hold", command: "promote" });
    expect(d.action).toEqual({ do: "set-weight", weight: 100, reason: "promoted by a human" });
    expect(tick(canary, d.state, 2000).state.outcome).toBe("succeeded");
  });

  it("abort rolls back even a canary judged good", () => {
    const d = tick(canary, atFirstStep(), 11 * MIN, { requests: 600, verdict: "advance", command: "abort" });
    expect(d.action).toEqual({ do: "roll-back", reason: "aborted by a human" });
  });

  it("freezes instead of rolling back when the release says so, and waits for a human", () => {
    const frozen = tick(frozenCanary, atFirstStep(frozenCanary), 1000, { verdict: "rollback" });
    expect(frozen.action).toEqual({
      do: "freeze",
      reason: "at 5%: judged rollback; the release says freeze, don't roll back",
    });
    expect(frozen.state.frozen).toBe(true);
    const waiting = tick(frozenCanary, frozen.state, 60 * MIN, { requests: 9999, verdict: "rollback" });
    expect(waiting.action.do === "hold" && waiting.action.reason).toBe("frozen at 5%: promote or abort");
    const stillWaiting = tick(frozenCanary, frozen.state, 60 * MIN, { requests: 9999, verdict: "advance" });
    expect(stillWaiting.action.do).toBe("hold");
    expect(tick(frozenCanary, frozen.state, 61 * MIN, { command: "promote" }).action).toMatchObject({
      do: "set-weight",
      weight: 100,
    });
    expect(tick(frozenCanary, frozen.state, 61 * MIN, { command: "abort" }).action.do).toBe("roll-back");
  });
});

describe("nextStep: blue/green", () => {
  const probing = () => tick(blueGreen, INITIAL_STEP_STATE, 0);

  it("probes the new revision first, with no user traffic", () => {
    const d = probing();
    expect(d.action).toMatchObject({
      do: "hold",
      reason: "blue/green: probing the new revision before it takes traffic",
    });
    expect(d.state.step).toBe(0);
    expect(tick(blueGreen, d.state, 5000, { verdict: "hold" }).action.do).toBe("hold");
  });

  it("rolls back if the probes fail, before any user saw it", () => {
    expect(tick(blueGreen, probing().state, 5000, { verdict: "rollback" }).action.do).toBe("roll-back");
  });

  it("switches all traffic at once when the probes pass, then keeps the old one warm", () => {
    const switched = tick(blueGreen, probing().state, 5000, { verdict: "advance" });
    expect(switched.action).toMatchObject({ do: "set-weight", weight: 100 });
    expect(switched.state).toMatchObject({ step: 1, enteredAt: 5000 });
    const warm = tick(blueGreen, switched.state, 5000 + 14 * MIN, { verdict: "advance" });
    expect(warm.action).toMatchObject({ do: "hold", reason: "blue/green: old revision kept warm 60 s more" });
    const retired = tick(blueGreen, switched.state, 5000 + 15 * MIN, { verdict: "advance" });
    expect(retired.action.do).toBe("retire-old");
    expect(tick(blueGreen, retired.state, 5000 + 16 * MIN).state.outcome).toBe("succeeded");
  });

  it("rolls back instantly to the warm old revision on a bad judgement after the switch", () => {
    const switched = tick(blueGreen, probing().state, 5000, { verdict: "advance" });
    const d = tick(blueGreen, switched.state, 10 * MIN, { verdict: "rollback" });
    expect(d.action).toEqual({ do: "roll-back", reason: "after the switch: judged rollback" });
  });

  it("keeps the old revision while paused; promote retires it early", () => {
    const switched = tick(blueGreen, probing().state, 5000, { verdict: "advance" });
    const paused = tick(blueGreen, switched.state, 20 * MIN, { command: "pause" });
    expect(paused.action.do === "hold" && paused.action.reason).toBe("paused after the switch");
    expect(tick(blueGreen, switched.state, 6000, { command: "promote" }).action.do).toBe("retire-old");
  });
});
