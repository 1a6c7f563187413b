import { Command } from "commander";
import { EXIT, fail } from "./output";
import { registerBackupCommands } from "./program/backup";
import { registerDataCommands } from "./program/data";
import { registerFlagCommands } from "./program/flags";
import { registerInspectCommands } from "./program/inspect";
import { registerJudgeCommands } from "./program/judge";
import { registerPromotionCommands } from "./program/promotion";
import { registerRolloutCommands } from "./program/rollout";
import { registerSecretCommands } from "./program/secrets";
import { registerShipCommands } from "./program/ship";
import { registerSpecCommands } from "./program/spec";
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

await program.parseAsync(process.argv).catch((e) => fail(e, false));
