import { type Command, Option } from "commander";
import { act, dirOpt, jsonOpt } from "./options";

const data = () => import("../commands/data");

export function registerDataCommands(program: Command) {
  const group = program.command("data").description("data between environments");
  group
    .command("copy")
    .description(
      "replace <to>'s postgres rows with <from>'s, masked by the spec's data.mask (admin; never into an environment that requires approval)",
    )
    .argument("<from>")
    .argument("<to>")
    .addOption(dirOpt())
    .addOption(
      new Option("--mask", "mask by data.mask (required: there is no unmasked copy)").makeOptionMandatory(),
    )
    .option("--addon <name>", "the postgres add-on to copy (default: the only one)")
    .addOption(jsonOpt())
    .action(
      act(async (from: string, to: string, o: { dir: string; addon?: string; json?: boolean }) =>
        (await data()).copy({ ...o, from, to, json: !!o.json }),
      ),
    );
}
