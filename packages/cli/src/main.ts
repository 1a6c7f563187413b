import { Command } from "commander";
import { EXIT, fail } from "./output";
import { registerBackupCommands } from "./program/backup";
import { registerContextCommands } from "./program/context";
import { registerDataCommands } from "./program/data";
import { registerFlagCommands } from "./program/flags";
import { registerInspectCommands } from "./program/inspect";
import { registerJudgeCommands } from "./program/judge";
import { registerPromotionCommands } from "./program/promotion";
import { registerRolloutCommands } from "./program/rollout";
import { registerSecretCommands } from "./program/secrets";
import { registerServerCommands } from "./program/server";
import { registerShipCommands } from "./program/ship";
import { registerSpecCommands } from "./program/spec";
import { rememberSpecServer } from "./program/spec-server";
import { registerTokenCommands } from "./program/tokens";

// Each area registers its commands from src/program/; the commands themselves load on use
// (src/commands/), so `slipway deploy` does not pay for the control plane and the spec loader
// (fastify, PGlite, zod) that only `up` and `validate` need.
const program = new Command("slipway")
  .description("Deploy and operate a multi-service web stack from one typed spec.")
  .showSuggestionAfterError(true)
  .exitOverride((err) => {
    if (err.exitCode === 0) process.exit(0);
    process.exit(EXIT.badInput);
  })
  // Read by client.ts when it picks the control plane: one option for every command.
  .option("--context <name>", "talk to this remote control plane (slipway context add); also SLIPWAY_CONTEXT")
  .hook("preAction", async (_program, action) => {
    const { context } = program.opts<{ context?: string }>();
    if (context) process.env.SLIPWAY_CONTEXT = context;
    // A command's --env, given on the command line, can pick the server that runs it.
    const env =
      action.getOptionValueSource("env") === "cli" ? action.opts<{ env?: string }>().env : undefined;
    if (env) process.env.SLIPWAY_ENV = env;
    // …and so can the spec's `environments.<env>.server`.
    await rememberSpecServer(action).catch((e: unknown) =>
      fail(e, action.opts<{ json?: boolean }>().json === true),
    );
  });

registerSpecCommands(program);
registerShipCommands(program);
registerPromotionCommands(program);
registerRolloutCommands(program);
registerInspectCommands(program);
registerTokenCommands(program);
registerFlagCommands(program);
registerSecretCommands(program);
registerDataCommands(program);
registerBackupCommands(program);
registerJudgeCommands(program);
registerServerCommands(program);
registerContextCommands(program);

await program.parseAsync(process.argv).catch((e) => fail(e, false));
