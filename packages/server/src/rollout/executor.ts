import { BEFORE_SWITCH, planRollout, type RolloutPhase, TERMINAL } from "@slipway/core";
import type { Ctx } from "../context";
import { observe, snapshot } from "./snapshot";
import { abort, perform } from "./steps";

/** How long a step that failed after the switch waits before it is tried again. */
const RETRY_MS = 1_000;

/**
 * Drives rollouts to a terminal phase: observe → plan (pure, in core) → perform → again.
 * It keeps no decision in memory: after a restart `resumeAll` picks every rollout up
 * from the phase in the store.
 */
export class RolloutExecutor {
  private readonly driving = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly ctx: Ctx) {}

  kick(id: string): Promise<void> {
    const current = this.driving.get(id);
    if (current) return current;
    const p = this.drive(id).finally(() => this.driving.delete(id));
    this.driving.set(id, p);
    return p;
  }

  async resumeAll(): Promise<void> {
    for (const r of await this.ctx.store.rollouts.active()) void this.kick(r.id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.driving.values());
  }

  private async drive(id: string): Promise<void> {
    while (!this.stopped) {
      const rollout = (await this.ctx.store.rollouts.get(id))!;
      const phase = rollout.phase as RolloutPhase;
      if (TERMINAL.has(phase)) return;
      const world = await observe(this.ctx, rollout);
      const step = planRollout(await snapshot(this.ctx, world));
      try {
        await perform(this.ctx, world, step);
        this.ctx.fault(`after:${step.do}`);
      } catch (e) {
        // Before the switch the target never took traffic: give up on it. From the switch
        // on it may be live, so the step is repeated (each is idempotent) until it holds.
        if (BEFORE_SWITCH.has(phase)) await abort(this.ctx, world, e);
        else await this.retryLater(id, phase, e);
        continue;
      }
      if (step.do === "wait") await new Promise((r) => setTimeout(r, step.ms));
    }
  }

  private async retryLater(id: string, phase: RolloutPhase, e: unknown): Promise<void> {
    this.ctx.log.error({ err: e, rollout: id, phase }, "rollout step failed; retrying");
    await this.ctx.event({
      kind: "rollout.retry",
      subject: id,
      message: `${phase}: ${(e as Error)?.message ?? String(e)}; trying again in ${RETRY_MS / 1000} s`,
    });
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}
