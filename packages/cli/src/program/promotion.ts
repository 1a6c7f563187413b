import { type Command, Option } from "commander";
import { act, dirOpt, envOpt, jsonOpt, releaseNumber } from "./options";

const promotion = () => import("../commands/promote");
const environments = () => import("../commands/environments");

export function registerPromotionCommands(program: Command) {
  program
    .command("promote")
    .description(
      "release the build live in <from> into <to>, with <to>'s config, under <to>'s promotion rule",
    )
    .argument("<from>")
    .argument("<to>")
    .addOption(dirOpt())
    .option(
      "--release <release>",
      "promote this release of <from>, e.g. v3 (sets a hold on <to>)",
      releaseNumber("--release"),
    )
    .addOption(jsonOpt())
    .action(
      act(async (from: string, to: string, o: { dir: string; release?: number; json?: boolean }) =>
        (await promotion()).promote({ ...o, from, to, json: !!o.json }),
      ),
    );

  program
    .command("approve")
    .description("approve a promotion awaiting approval (approver role); it is released")
    .argument("<promotion>")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (id: string, o: { dir: string; json?: boolean }) =>
        (await promotion()).approve({ ...o, id, json: !!o.json }),
      ),
    );

  program
    .command("reject")
    .description("reject a promotion awaiting approval (approver role): its build is never promoted again")
    .argument("<promotion>")
    .addOption(dirOpt())
    .option("--reason <text>", "why, for the event log", "rejected")
    .addOption(jsonOpt())
    .action(
      act(async (id: string, o: { dir: string; reason: string; json?: boolean }) =>
        (await promotion()).reject({ ...o, id, json: !!o.json }),
      ),
    );

  program
    .command("promotions")
    .description("promotions, newest first: who asked, who decided, when")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; json?: boolean }) => (await promotion()).list({ ...o, json: !!o.json })),
    );

  const hold = program.command("hold").description("holds set by promoting a build by hand");
  hold
    .command("lift")
    .description("lift an environment's hold: auto-deploy deploys it again")
    .addOption(dirOpt())
    .addOption(new Option("--env <name>", "environment").makeOptionMandatory())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; json?: boolean }) =>
        (await promotion()).liftHold({ ...o, json: !!o.json }),
      ),
    );

  const autodeploy = program
    .command("autodeploy")
    .description("auto-deploy of an environment from its spec branch (admin only)");
  for (const enabled of [true, false])
    autodeploy
      .command(enabled ? "enable" : "disable")
      .description(enabled ? "deploy each new commit of the environment's branch" : "stop auto-deploying")
      .addOption(dirOpt())
      .addOption(new Option("--env <name>", "environment").makeOptionMandatory())
      .option("--repo <path-or-url>", "the git repository to watch (default: the project's)")
      .addOption(jsonOpt())
      .action(
        act(async (o: { dir: string; env: string; repo?: string; json?: boolean }) =>
          (await promotion()).autoDeploy({ ...o, enabled, json: !!o.json }),
        ),
      );

  program
    .command("manifest")
    .description("the deployment manifest: version, services with url and commit, infrastructure")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; json?: boolean }) =>
        (await environments()).manifest({ ...o, json: !!o.json }),
      ),
    );

  program
    .command("diff")
    .description("what differs between two environments: build, config keys, scale, strategy")
    .argument("<a>")
    .argument("<b>")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (a: string, b: string, o: { dir: string; json?: boolean }) =>
        (await environments()).diff({ ...o, a, b, json: !!o.json }),
      ),
    );
}
