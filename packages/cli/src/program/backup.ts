import { type Command, Option } from "commander";
import { act, dirOpt, envOpt, jsonOpt } from "./options";

const backupCmd = () => import("../commands/backup");

type BackupOpts = { dir: string; env: string; json?: boolean; addon?: string };

export function registerBackupCommands(program: Command) {
  const backup = program
    .command("backup")
    .description(
      "postgres backups and redis snapshots: list (window, retention), create, restore to a point in time, drill",
    );
  const addonOpt = () =>
    new Option(
      "--addon <name>",
      "the add-on: a postgres one (needed when there are several), or a redis one that keeps snapshots",
    );
  backup
    .command("list")
    .description(
      "base backups, the recoverable window, retention and the last drill of each postgres add-on; redis snapshots",
    )
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(act(async (o: BackupOpts) => (await backupCmd()).list({ ...o, json: !!o.json })));
  backup
    .command("create")
    .description("take a base backup now (verified right after)")
    .addOption(addonOpt())
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(act(async (o: BackupOpts) => (await backupCmd()).create({ ...o, json: !!o.json })));
  backup
    .command("restore")
    .description("restore into a NEW instance (the live one is never touched) and report what it holds")
    .option("--to <time>", "an ISO time inside the recoverable window, e.g. 2026-11-30T14:05:00Z")
    .option("--latest", "everything the backups hold")
    .option("--switch", "then switch the environment's add-on to the copy, with a new release (needs --yes)")
    .option("--yes", "confirm --switch")
    .addOption(addonOpt())
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(
      act(async (o: BackupOpts & { to?: string; latest?: boolean; switch?: boolean; yes?: boolean }) =>
        (await backupCmd()).restore({ ...o, json: !!o.json }),
      ),
    );
  backup
    .command("drill")
    .description("restore the latest state into a scratch copy, verify it, measure RPO and RTO, remove it")
    .addOption(addonOpt())
    .addOption(dirOpt())
    .addOption(envOpt())
    .addOption(jsonOpt())
    .action(act(async (o: BackupOpts) => (await backupCmd()).drill({ ...o, json: !!o.json })));
}
