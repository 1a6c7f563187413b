import {
  type ErrorCode,
  isErrorCode,
  isSlipwayError,
  planRollout,
  type RolloutPhase,
  TERMINAL,
} from "@slipway/core";
import type { Ctx } from "../context";
import { jobOutput } from "./release-job";
import { observe, snapshot } from "./snapshot";
import { perform } from "./steps";

const HINTS: Record<string, string> = {
  SLW_RELEASE_JOB_FAILED:
    "fix the job (see its output above) and deploy again; the live release keeps serving",
  SLW_UNHEALTHY:
    "see `slipway logs <service>` for why it did not answer its health check; the live release keeps serving",
  SLW_BUILD_FAILED: "fix the build and deploy again; the live release is untouched",
};

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
      if (TERMINAL.has(rollout.phase as RolloutPhase)) return;
      const world = await observe(this.ctx, rollout);
      const step = planRollout(await snapshot(this.ctx, world));
      try {
        await perform(this.ctx, world, step);
      } catch (e) {
        await this.fail(id, rollout.phase, e);
        continue;
      }
      if (step.do === "wait") await new Promise((r) => setTimeout(r, step.ms));
    }
  }

  private async fail(id: string, phase: string, e: unknown): Promise<void> {
    // Only a catalogue code is a rollout's error code: a Node `ENOENT` or a Postgres `23505`
    // that escaped a step is a bug, shown as SLW_INTERNAL and logged with its stack.
    const raw = (e as { code?: unknown } | undefined)?.code;
    const code: ErrorCode = isSlipwayError(e) ? e.code : isErrorCode(raw) ? raw : "SLW_INTERNAL";
    const message =
      code === "SLW_INTERNAL"
        ? `internal error: ${(e as Error)?.message ?? String(e)}; see .slipway/control-plane.log`
        : (e as Error).message;
    if (code === "SLW_INTERNAL") this.ctx.log.error({ err: e }, "rollout step failed");
    const rollout = (await this.ctx.store.rollouts.get(id))!;
    const env = (await this.ctx.store.environments.list()).find((x) => x.id === rollout.environmentId)!;
    const target = rollout.toReleaseId
      ? await this.ctx.store.releases.getRelease(rollout.toReleaseId)
      : undefined;
    const output =
      code === "SLW_RELEASE_JOB_FAILED" && target
        ? jobOutput(this.ctx, env, target)
        : isSlipwayError(e)
          ? String(e.detail?.output ?? "")
          : "";
    const hint = isSlipwayError(e) ? e.hint : HINTS[code];
    await this.ctx.store.rollouts.move(id, phase, "failed", {
      error: { code, message, ...(hint ? { hint } : {}), ...(output ? { output } : {}) },
    });
    await this.ctx.event({
      kind: "rollout.failed",
      subject: id,
      message: `${rollout.kind} failed: ${message}`,
      data: { code },
    });
  }
}
