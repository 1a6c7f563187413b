import { describe, expect, it } from "vitest";
import type { RolloutCommand } from "../canary/steps";
import { abortedBeforeSwitch, type ControlledRollout, refuseCommand } from "./controls";
import type { RolloutPhase } from "./plan";

const canary = (phase: RolloutPhase, state?: ControlledRollout["state"]): ControlledRollout => ({
  phase,
  kind: "deploy",
  stepped: true,
  ...(state ? { state } : {}),
});
const applies = (r: ControlledRollout, c: RolloutCommand) => refuseCommand(r, c) === undefined;

describe("a human's rollout commands, phase by phase", () => {
  it("abort applies from pending until the new release takes all traffic, and not after", () => {
    for (const phase of ["pending", "building", "releasing", "starting", "analyzing"] as const)
      expect(applies(canary(phase), "abort")).toBe(true);
    expect(refuseCommand(canary("switching"), "abort")).toMatchObject({
      reason: expect.stringMatching(
        /switching: the new release is taking all traffic now, too late to abort/,
      ),
      hint: expect.stringMatching(/slipway rollback/),
    });
    expect(refuseCommand(canary("aborting"), "abort")?.reason).toMatch(/already aborting/);
    expect(refuseCommand(canary("succeeded"), "abort")?.reason).toMatch(/over \(succeeded\)/);
  });

  it("pause, resume and promote apply only while analysing, naming the phase otherwise", () => {
    for (const c of ["pause", "resume", "promote"] as const) {
      expect(refuseCommand(canary("starting"), c)).toEqual({
        reason: `it is starting: the new release takes no traffic yet, so there is nothing to ${c}`,
        hint: `${c} applies once it is analysing (see where it stands with \`slipway rollout status\`); abort applies now`,
      });
      expect(refuseCommand(canary("releasing"), c)?.reason).toMatch(/^it is releasing/);
    }
    expect(applies(canary("analyzing"), "pause")).toBe(true);
    expect(applies(canary("analyzing", { paused: true, frozen: false }), "promote")).toBe(true);
  });

  it("a direct deploy has no steps to pause or promote; it can still be aborted", () => {
    const direct: ControlledRollout = { phase: "starting", kind: "deploy", stepped: false };
    expect(refuseCommand(direct, "promote")?.reason).toBe(
      "a deploy without canary or blue/green steps has nothing to promote",
    );
    expect(applies(direct, "abort")).toBe(true);
  });

  it("pause twice, or resume of a canary that is not paused, is refused; resume unfreezes", () => {
    expect(refuseCommand(canary("analyzing", { paused: true, frozen: false }), "pause")?.reason).toBe(
      "it is already paused",
    );
    expect(refuseCommand(canary("analyzing", { paused: false, frozen: false }), "resume")?.reason).toMatch(
      /neither paused nor frozen/,
    );
    expect(applies(canary("analyzing", { paused: false, frozen: true }), "resume")).toBe(true);
  });

  it("only an abort stored before the switch aborts the rollout there", () => {
    expect(abortedBeforeSwitch("starting", "abort")).toBe(true);
    expect(abortedBeforeSwitch("analyzing", "abort")).toBe(false);
    expect(abortedBeforeSwitch("building", "pause")).toBe(false);
    expect(abortedBeforeSwitch("building", null)).toBe(false);
  });
});
