import {
  commandPhases,
  type RolloutCommand,
  type RolloutPhase,
  refuseCommand,
  SlipwayError,
} from "@slipway/core";
import type { EventRow, JudgementRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { canaryRollout } from "./snapshot";

/** One rollout's record: every step and judgement with its numbers, and every event, in order. */
export interface RolloutTimeline {
  rollout: RolloutRow;
  judgements: JudgementRow[];
  events: EventRow[];
}

/**
 * A human's hand on a rollout: pause, resume, promote or abort the one in flight in an
 * environment (or a named one). Abort applies until the new release takes all traffic; the
 * others while a canary or blue/green is analysing; anything else is refused naming the phase
 * (see `refuseCommand` in core). The command is stored for the rollout's next tick, which
 * applies it with everything else it decides (so a command never races the loop), and the
 * loop is woken. Each is an audit event.
 */
export function rolloutControls(ctx: Ctx, kick: (id: string) => void) {
  const envNamed = async (name: string) => {
    const env = await ctx.store.environments.get(ctx.stackId, name);
    if (!env) throw new SlipwayError("SLW_NOT_FOUND", `no environment "${name}" is running`);
    return env;
  };
  const timeline = async (rollout: RolloutRow): Promise<RolloutTimeline> => ({
    rollout,
    judgements: await ctx.store.rollouts.judgements(rollout.id),
    events: await ctx.store.events.about([rollout.id, ...(rollout.toReleaseId ? [rollout.toReleaseId] : [])]),
  });
  return {
    async command(
      target: { env: string } | { id: string },
      command: RolloutCommand,
      actor: string,
    ): Promise<RolloutRow> {
      const found = "id" in target ? await ctx.store.rollouts.get(target.id) : await activeIn(target.env);
      const where = "id" in target ? `rollout ${target.id}` : `environment ${target.env}`;
      if (!found) throw new SlipwayError("SLW_NOT_FOUND", `no rollout in flight in ${where}`);
      await refuseUnlessApplies(found, command);
      // Guarded by phase: a rollout that moved on since it was read is judged again as it is now.
      if (!(await ctx.store.rollouts.setCommand(found.id, command, commandPhases(command)))) {
        await refuseUnlessApplies((await ctx.store.rollouts.get(found.id))!, command);
        throw new SlipwayError("SLW_CONFLICT", `rollout ${found.id} moved on; try again`);
      }
      await ctx.event({
        kind: `rollout.${command}-requested`,
        subject: found.id,
        actor,
        message: `${actor} asked to ${command} the rollout`,
        data: { command },
      });
      kick(found.id);
      return (await ctx.store.rollouts.get(found.id))!;
    },

    /** The rollout in flight in the environment, else its latest, with its timeline. */
    async latest(envName: string): Promise<RolloutTimeline> {
      const env = await envNamed(envName);
      const [rollout] = await ctx.store.rollouts.list(env.id, 1);
      if (!rollout)
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `no rollout in ${envName} yet`,
          `deploy first: slipway deploy --env ${envName}`,
        );
      return timeline(rollout);
    },

    async timeline(id: string): Promise<RolloutTimeline> {
      const rollout = await ctx.store.rollouts.get(id);
      if (!rollout) throw new SlipwayError("SLW_NOT_FOUND", `no rollout ${id}`);
      return timeline(rollout);
    },
  };

  /** Throws SLW_CONFLICT naming the phase when the command means nothing to the rollout now. */
  async function refuseUnlessApplies(r: RolloutRow, command: RolloutCommand): Promise<void> {
    const env = await ctx.store.environments.byId(r.environmentId);
    const refusal = refuseCommand(
      {
        phase: r.phase as RolloutPhase,
        kind: r.kind,
        stepped: Boolean(env && canaryRollout(r, env)),
        state: r.stepState,
      },
      command,
    );
    if (refusal)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `cannot ${command} rollout ${r.id}: ${refusal.reason}`,
        refusal.hint,
        { phase: r.phase },
      );
  }

  async function activeIn(envName: string) {
    const env = await envNamed(envName);
    return (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id);
  }
}

export type RolloutControls = ReturnType<typeof rolloutControls>;
