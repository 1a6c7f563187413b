import type { Command } from "commander";
import { act, dirOpt, envOpt, jsonOpt, positive, releaseNumber } from "./options";

const inspect = () => import("../commands/inspect");
const oneOff = () => import("../commands/one-off");

export function registerInspectCommands(program: Command) {
  program
    .command("status")
    .description("environments, releases, processes, health and URLs")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; json?: boolean }) => (await inspect()).status({ ...o, json: !!o.json })),
    );

  program
    .command("releases")
    .description("the releases of an environment, newest first")
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; json?: boolean }) =>
        (await inspect()).releases({ ...o, json: !!o.json }),
      ),
    );

  program
    .command("events")
    .description("the event log, newest first: who did what, when, why")
    .addOption(dirOpt())
    .option("--limit <n>", "how many events (at most 1000)", positive("--limit"), 100)
    .option(
      "--before <seq>",
      "only events older than this sequence number (the next page)",
      positive("--before"),
    )
    .option("--after <seq>", "only events newer than this sequence number", positive("--after"))
    .option("--subject <id>", "only events about this rollout, release, token or route")
    .addOption(jsonOpt())
    .action(
      act(
        async (o: {
          dir: string;
          limit: number;
          before?: number;
          after?: number;
          subject?: string;
          json?: boolean;
        }) => (await inspect()).events({ ...o, json: !!o.json }),
      ),
    );

  program
    .command("logs")
    .description("a service's output")
    .argument("<service>")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --lines <n>", "how many lines from the end", (v) => Number(v), 100)
    .option(
      "--release <release>",
      "that release's output, e.g. a failed deploy's (default: live)",
      releaseNumber("--release"),
    )
    .action(
      act(
        async (
          service: string,
          o: { dir: string; env: string; follow?: boolean; lines: number; release?: number },
        ) => (await inspect()).logs({ ...o, service, follow: !!o.follow }),
      ),
    );

  program
    .command("run")
    .description(
      "run a one-off process with a service's environment, e.g. slipway run api -- node migrate.mjs",
    )
    .argument("<service>")
    .argument("<argv...>", "the program and its arguments, after --")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option(
      "--release <release>",
      "that release's build and config (default: live)",
      releaseNumber("--release"),
    )
    .action(
      act(async (service: string, argv: string[], o: { dir: string; env: string; release?: number }) =>
        (await oneOff()).run({ ...o, service, argv }),
      ),
    );

  program
    .command("psql")
    .description("psql connected to a postgres add-on as the app's role; psql's own arguments go after --")
    .argument("<addon>")
    .argument("[args...]")
    .addOption(dirOpt())
    .addOption(envOpt())
    .action(
      act(async (addon: string, args: string[], o: { dir: string; env: string }) =>
        (await oneOff()).psql({ ...o, addon, args }),
      ),
    );

  program
    .command("down")
    .description("stop every process, the edge and the add-ons (data is kept)")
    .addOption(dirOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; json?: boolean }) => (await inspect()).down({ ...o, json: !!o.json })),
    );
}
