import type { Command } from "commander";
import { act, dirOpt, envOpt, jsonOpt, positive } from "./options";

const secretsCmd = () => import("../commands/secrets");

type SecretOpts = { dir: string; env: string; json?: boolean };

export function registerSecretCommands(program: Command) {
  const secrets = program
    .command("secrets")
    .description("encrypted secrets per environment: set, list, get, rotate, history, import");
  secrets
    .command("list")
    .description("secrets with their version, rotation status (overdue?) and what is published; never values")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(act(async (o: SecretOpts) => (await secretsCmd()).list({ ...o, json: !!o.json })));
  secrets
    .command("set")
    .description("set a declared secret from stdin (or --from-file); services using it restart onto it")
    .argument("<name>")
    .option("--from-file <path>", "read the value from a file (e.g. a certificate)")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: SecretOpts & { fromFile?: string }) =>
        (await secretsCmd()).set({ ...o, name, json: !!o.json }),
      ),
    );
  secrets
    .command("get")
    .description("print a secret's value (admin only; every read is an audit event)")
    .argument("<name>")
    .option("--version <n>", "an older version (default: the newest)", positive("--version"))
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: SecretOpts & { version?: number }) =>
        (await secretsCmd()).get({ ...o, name, json: !!o.json }),
      ),
    );
  secrets
    .command("rotate")
    .description(
      "a new value (generated, or from stdin / --from-file); the old one stays as NAME_PREVIOUS for the overlap",
    )
    .argument("<name>")
    .option("--from-file <path>", "read the new value from a file")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: SecretOpts & { fromFile?: string }) =>
        (await secretsCmd()).rotate({ ...o, name, json: !!o.json }),
      ),
    );
  secrets
    .command("history")
    .description("a secret's versions: when, by whom, under which master key")
    .argument("<name>")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: SecretOpts) =>
        (await secretsCmd()).history({ ...o, name, json: !!o.json }),
      ),
    );
  secrets
    .command("import")
    .description(
      "set the declared secrets found in .env.local (else .env), --from FILE, or one from --file PATH --name NAME",
    )
    .option("--from <path>", "a .env file")
    .option("--file <path>", "a whole file as one secret's value (certificate, key)")
    .option("--name <name>", "the secret --file sets")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: SecretOpts & { from?: string; file?: string; name?: string }) =>
        (await secretsCmd()).importSecrets({ ...o, json: !!o.json }),
      ),
    );
}
