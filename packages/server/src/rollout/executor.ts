import { setTimeout as sleep } from "node:timers/promises";
import {
  BEFORE_SWITCH,
  gatedByProbes,
  planRollout,
  probesVerdict,
  type RolloutPhase,
  type RolloutStep,
  TERMINAL,
} from "@slipway/core";
import type { Ctx } from "../context";
import { runProbes } from "./probes";
import { observe, type RolloutWorld, snapshot } from "./snapshot";
import { abort, perform, retryLater } from "./steps";

/** How long a step that failed after the switch waits before it is tried again. */
export const RETRY_MS = 1_000;

/** How long a canary whose edge or processes were just converged waits before looking again. */
const CONVERGE_MS = 250;

/** When to look at a rollout again: in so many milliseconds, or never (it is over). */
export type NextTick = number | "done";

/**
 * Drives rollouts to a terminal phase, one `tick` at a time. It keeps no decision in memory:
 * after a restart `resumeAll` picks every rollout up from the phase in the store.
 */
export class RolloutExecutor {
  private readonly driving = new Map<string, Promise<void>>();
  /** Ends the wait of a rollout that is between two ticks. */
  private readonly wakers = new Map<string, () => void>();
  private stopped = false;

  /** `wait` is how the driving loop waits between ticks (tests drive `tick` themselves). */
  constructor(
    private readonly ctx: Ctx,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {}

  /** Drives the rollout, or, if it is being driven, makes it look again now (a human's command). */
  kick(id: string): Promise<void> {
    const current = this.driving.get(id);
    this.wakers.get(id)?.();
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

  /**
   * One look at a rollout: observe (read-only) → plan (pure, in core) → perform one step, and
   * say when to look again. A failed step is data: before the switch the target never took
   * traffic, so the rollout aborts with the failure's code; from the switch on it may be live,
   * so the step is retried (each is idempotent) until it holds.
   */
  async tick(id: string): Promise<NextTick> {
    const rollout = await this.ctx.store.rollouts.get(id);
    if (!rollout || TERMINAL.has(rollout.phase as RolloutPhase)) return "done";
    const world = await observe(this.ctx, rollout);
    const now = this.ctx.now();
    const step = await gateOnProbes(this.ctx, world, now, planRollout(snapshot(world, now), now));
    try {
      await perform(this.ctx, world, step);
    } catch (e) {
      if (!BEFORE_SWITCH.has(rollout.phase as RolloutPhase))
        return retryLater(this.ctx, rollout, e, RETRY_MS);
      await abort(this.ctx, world, e);
      this.ctx.fault("after:abort");
      return 0;
    }
    this.ctx.fault(step.do === "move" ? `after:move:${step.to}` : `after:${step.do}`);
    if (step.do === "done") return "done";
    if (step.do === "wait" || step.do === "hold") return step.ms;
    // Converging again at once could spin if the edge never reports the weights asked for.
    return step.do === "converge-canary" ? CONVERGE_MS : 0;
  }

  private async drive(id: string): Promise<void> {
    while (!this.stopped) {
      const next = await this.tick(id).catch((e: unknown) => {
        // Observing failed (the store, a driver read): nothing was done, so look again later.
        this.ctx.log.error({ err: e, rollout: id }, "rollout tick failed; retrying");
        return RETRY_MS;
      });
      if (next === "done") return;
      if (next > 0) {
        const woken = new Promise<void>((resolve) => this.wakers.set(id, resolve));
        await Promise.race([this.wait(next), woken]);
        this.wakers.delete(id);
      }
    }
  }
}

/**
 * A step that would move traffic forward on the judgement waits for the release's probes:
 * they run now, against the canary through the edge, and the step is planned again with
 * their results (a failing probe rolls back, a pending one holds).
 */
async function gateOnProbes(
  ctx: Ctx,
  world: RolloutWorld,
  now: number,
  step: RolloutStep,
): Promise<RolloutStep> {
  const probes = world.target?.config.probes ?? [];
  if (!world.canary || !world.target || !probes.length || !gatedByProbes(step)) return step;
  const results = await runProbes(ctx, {
    env: world.env,
    release: world.target,
    canaryBaseUrl: `http://127.0.0.1:${world.env.publicPort}`,
    probes,
  });
  world.canary.probes = probesVerdict(results);
  return planRollout(snapshot(world, now), now);
}
