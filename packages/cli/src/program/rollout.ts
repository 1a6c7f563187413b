import type { Command } from "commander";
import { act, dirOpt, envOpt, jsonOpt } from "./options";

const rolloutCommands = () => import("../commands/rollout");

/** A canary's controls and timeline: `slipway rollout status|pause|resume|promote|abort`. */
export function registerRolloutCommands(program: Command) {
  const rollout = program
    .command("rollout")
    .description("the rollout in flight (canary, blue/green): its timeline and a human's hand on it");
  rollout
    .command("status")
    .description(
      "every step and judgement of the environment's current (or latest) rollout, with its numbers",
    )
    .addOption(dirOpt())
    .addOption(envOpt())
    .option("--id <rollout>", "a rollout by id instead")
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; id?: string; json?: boolean }) =>
        (await rolloutCommands()).status({ ...o, json: !!o.json }),
      ),
    );
  const commands = {
    pause: "stop advancing (the canary is still watched and rolled back if it is worse)",
    resume: "advance again (also lifts a freeze)",
    promote: "skip the remaining steps: all traffic to the new release now",
    abort:
      "stop it until the new release takes all traffic: while building or starting it stops what it started; while analysed it rolls back",
  } as const;
  for (const [name, description] of Object.entries(commands))
    rollout
      .command(name)
      .description(description)
      .addOption(dirOpt())
      .addOption(envOpt())
      .option("--id <rollout>", "a rollout by id instead")
      .addOption(jsonOpt())
      .action(
        act(async (o: { dir: string; env: string; id?: string; json?: boolean }) =>
          (await rolloutCommands()).command({
            ...o,
            command: name as keyof typeof commands,
            json: !!o.json,
          }),
        ),
      );
}
