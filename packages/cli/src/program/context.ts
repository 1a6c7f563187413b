import type { Command } from "commander";
import { act, jsonOpt } from "./options";

const contexts = () => import("../commands/context");

/** Control planes on other machines this CLI talks to (`slipway server`), by name. */
export function registerContextCommands(program: Command) {
  const context = program
    .command("context")
    .description("remote control planes (slipway server) this CLI talks to: add, use, list, remove");
  context
    .command("add")
    .description("save a control plane's URL, token and certificate fingerprint under a name")
    .argument("<name>")
    .argument("<url>", "https://HOST:PORT, as `slipway server` prints it")
    .requiredOption("--token <token>", "a token of that control plane (slipway tokens create there)")
    .option("--fingerprint <sha256>", "pin its certificate: sha256:… as `slipway server` prints it")
    .option(
      "--env <name>",
      "an environment that runs there: `--env NAME` then picks this context (repeatable)",
      (v: string, all: string[] = []) => [...all, v],
    )
    .addOption(jsonOpt())
    .action(
      act(
        async (
          name: string,
          url: string,
          o: { token: string; fingerprint?: string; env?: string[]; json?: boolean },
        ) => (await contexts()).add({ ...o, environments: o.env, name, url, json: !!o.json }),
      ),
    );
  context
    .command("use")
    .description("talk to this context by default (`local`: the project's own control plane)")
    .argument("<name>")
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: { json?: boolean }) => (await contexts()).use({ name, json: !!o.json })),
    );
  context
    .command("list")
    .description("the saved contexts (never their tokens)")
    .addOption(jsonOpt())
    .action(act(async (o: { json?: boolean }) => (await contexts()).list({ json: !!o.json })));
  context
    .command("remove")
    .description("forget a context and its token")
    .argument("<name>")
    .addOption(jsonOpt())
    .action(
      act(async (name: string, o: { json?: boolean }) => (await contexts()).remove({ name, json: !!o.json })),
    );
}
