import { Argument, type Command, InvalidArgumentError } from "commander";
import { act, dirOpt, envOpt, jsonOpt, releaseNumber } from "./options";

const flagCommands = () => import("../commands/flags");
const configCommands = () => import("../commands/config");

const percent = (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100)
    throw new InvalidArgumentError(`--percent takes a number 0-100, got ${JSON.stringify(v)}`);
  return n;
};
const keyList = (v: string) => {
  const keys = v.split(",").map((k) => k.trim());
  if (keys.some((k) => k === ""))
    throw new InvalidArgumentError(
      `--allow takes keys separated by commas, like alice,bob; got ${JSON.stringify(v)}`,
    );
  return keys;
};

/** Feature flags, and the config diff between releases. */
export function registerFlagCommands(program: Command) {
  const flags = program
    .command("flags")
    .description("feature flags and kill switches: running services follow at once");
  flags
    .command("list")
    .description("every flag of the environment with its state, default and kind")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; json?: boolean }) =>
        (await flagCommands()).list({ ...o, json: !!o.json }),
      ),
    );
  flags
    .command("set")
    .description("turn a flag on or off, optionally for a sticky share of users or an allow-list (deployer)")
    .argument("<name>")
    .addArgument(new Argument("<value>", "on or off").choices(["on", "off"]))
    .option("--percent <n>", "once on, the share of users (keys) that get it, 0-100", percent)
    .option("--allow <keys>", "keys that get it whenever it is on, comma-separated", keyList)
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(
        async (
          name: string,
          value: "on" | "off",
          o: { dir: string; env: string; percent?: number; allow?: string[]; json?: boolean },
        ) => (await flagCommands()).set({ ...o, name, value, json: !!o.json }),
      ),
    );
  flags
    .command("history")
    .description("every change of a flag, newest first: who, when, what")
    .argument("<name>")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: { dir: string; env: string; json?: boolean }) =>
        (await flagCommands()).history({ ...o, name, json: !!o.json }),
      ),
    );

  program
    .command("config")
    .description("the config releases run with")
    .command("diff")
    .description("which config keys (services, env, routes, add-ons, flags) differ between two releases")
    .argument("<from>", "a release, e.g. v2", releaseNumber("<from>"))
    .argument("<to>", "a release, e.g. v3", releaseNumber("<to>"))
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (from: number, to: number, o: { dir: string; env: string; json?: boolean }) =>
        (await configCommands()).diff({ ...o, from, to, json: !!o.json }),
      ),
    );
}
