import { setTimeout as sleep } from "node:timers/promises";
import {
  abortedBeforeSwitch,
  BEFORE_SWITCH,
  gatedByProbes,
  planRollout,
  probesVerdict,
  type RolloutPhase,
  type RolloutStep,
  SlipwayError,
  TERMINAL,
} from "@slipway/core";
import type { Ctx } from "../context";
import { runProbes } from "./probes";
import { observe, type RolloutWorld, snapshot } from "./snapshot";
import { abort, perform, retryLater } from "./steps";

/** How long a step that failed after the switch waits before it is tried again. */
export const RETRY_MS = 1_000;

/**
 * How long a step of an analysed rollout may keep failing (the new revision's processes will
 * not start, the edge refuses its weights) before the rollout is aborted: the live release
 * then takes all traffic again. The switch and an abort are retried without end instead,
 * since giving up there would leave traffic half-moved.
 */
export const GIVE_UP_MS = 60_000;

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
  /**
   * Since when each rollout's steps have failed in a row, and how often. Kept in memory: a
   * restarted control plane gives a failing rollout a fresh deadline, which only delays the abort.
   */
  private readonly failing = new Map<string, { since: number; attempts: number }>();
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
    const phase = rollout.phase as RolloutPhase;
    const world = await observe(this.ctx, rollout);
    const now = this.ctx.now();
    if (abortedBeforeSwitch(phase, rollout.command)) {
      await abort(this.ctx, world, abortedByHuman(world));
      return 0;
    }
    let step: RolloutStep;
    try {
      step = await gateOnProbes(this.ctx, world, now, planRollout(snapshot(world, now), now));
      await perform(this.ctx, world, step);
    } catch (e) {
      if (BEFORE_SWITCH.has(phase)) {
        await abort(this.ctx, world, e);
        this.ctx.fault("after:abort");
        return 0;
      }
      const failing = this.failing.get(id) ?? { since: now, attempts: 0 };
      this.failing.set(id, { ...failing, attempts: failing.attempts + 1 });
      if (phase !== "analyzing" || now - failing.since < GIVE_UP_MS)
        return retryLater(this.ctx, rollout, e, RETRY_MS);
      // The new revision shares traffic but cannot be moved on, nor converged: give it up.
      this.failing.delete(id);
      await abort(this.ctx, world, stuck(e, failing.attempts + 1, now - failing.since));
      this.ctx.fault("after:abort");
      return 0;
    }
    this.failing.delete(id);
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

function abortedByHuman(w: RolloutWorld): SlipwayError {
  const n = w.target ? `v${w.target.number}` : "the new release";
  return new SlipwayError(
    "SLW_ROLLOUT_ABORTED",
    `aborted by a human while ${w.rollout.phase}: ${n} never took traffic`,
    "the live release keeps serving; deploy again when ready (`slipway rollout status` shows who aborted it)",
  );
}

function stuck(e: unknown, attempts: number, ms: number): SlipwayError {
  return new SlipwayError(
    "SLW_ROLLOUT_STUCK",
    `a step of the analysis failed ${attempts} times over ${Math.round(ms / 1000)} s, last: ${(e as Error)?.message ?? String(e)}; all traffic back to the live release`,
    "fix what the last failure names (`slipway logs --release vN`, the edge) and deploy again",
  );
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
