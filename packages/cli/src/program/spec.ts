import type { Command } from "commander";
import { act, dirOpt, fromSource, jsonOpt } from "./options";

const spec = () => fromSource<typeof import("../commands/spec")>("commands/spec.ts");

export function registerSpecCommands(program: Command) {
  program
    .command("init")
    .description("write a starter stack (slipway.config.ts and a tiny app) that slipway up runs as written")
    .addOption(dirOpt())
    .action(act(async (o: { dir: string }) => (await spec()).init(o.dir)));

  program
    .command("validate")
    .description("check slipway.config.ts and explain every problem")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(act(async (o: { dir: string; json?: boolean }) => (await spec()).validate(o.dir, !!o.json)));

  program
    .command("schema")
    .description("print the stack spec's JSON Schema")
    .action(act(async () => (await spec()).schema()));
}
