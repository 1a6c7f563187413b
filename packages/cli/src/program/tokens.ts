import { type Command, Option } from "commander";
import { act, dirOpt, duration, jsonOpt } from "./options";

const inspect = () => import("../commands/inspect");

export function registerTokenCommands(program: Command) {
  const tokens = program.command("tokens").description("API tokens (admin only)");
  tokens
    .command("create")
    .description("create a token (printed once)")
    .requiredOption("--name <name>", "who or what uses it")
    .addOption(
      new Option("--role <role>", "what it may do")
        .choices(["viewer", "deployer", "approver", "admin"])
        .makeOptionMandatory(),
    )
    .option(
      "--expires <duration>",
      "stop working after this long, e.g. 30d (default: never)",
      duration("--expires"),
    )
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; name: string; role: string; expires?: number; json?: boolean }) =>
        (await inspect()).createToken({ ...o, json: !!o.json }),
      ),
    );
  tokens
    .command("list")
    .description("every token: id, name, role, state, expiry (never the token itself)")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; json?: boolean }) =>
        (await inspect()).listTokens({ ...o, json: !!o.json }),
      ),
    );
  tokens
    .command("revoke")
    .description("revoke a token at once, by id or by name")
    .argument("<id-or-name>")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (ref: string, o: { dir: string; json?: boolean }) =>
        (await inspect()).revokeToken({ ...o, ref, json: !!o.json }),
      ),
    );
}
