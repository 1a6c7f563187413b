import { cronServices } from "@slipway/core";
import type { RenderedFile, RenderInput } from "../input";

/**
 * Compose has no scheduler, so cron services become a crontab for the VM: each run is a
 * one-off container (`docker compose run --rm --no-deps`, so the release job is not run again)
 * of the same image and environment, and `flock -n` skips a run while the previous one is still
 * going, as Slipway does locally. None when the stack has no cron service.
 */
export function composeCrontab(input: RenderInput): RenderedFile | undefined {
  const crons = cronServices(input.release.config).sort(([a], [b]) => a.localeCompare(b));
  if (!crons.length) return undefined;
  const project = `${input.stack}-${input.env}`;
  return {
    path: "crontab",
    content: [
      `# Rendered by Slipway for ${input.stack} (${input.env}): its cron services, run by the VM's cron.`,
      "# 1. Set SLIPWAY_COMPOSE_DIR to the directory that holds compose.yaml and .env.",
      "# 2. Install it for a user that may run docker: crontab crontab",
      "# Schedules are UTC, as in the spec. cronie honours CRON_TZ; Debian's cron ignores it, so keep",
      "# the VM's timezone UTC there (timedatectl set-timezone UTC).",
      "CRON_TZ=UTC",
      `SLIPWAY_COMPOSE_DIR=/srv/${project}`,
      ...crons.map(
        ([name, s]) =>
          `${s.schedule.trim()} cd "$SLIPWAY_COMPOSE_DIR" && flock -n /tmp/slipway-${project}-${name}.lock docker compose run --rm --no-deps ${name}`,
      ),
      "",
    ].join("\n"),
  };
}

/** Why crontab cannot run this schedule, or undefined when it can. */
export function crontabProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith("@"))
    return ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"].includes(s)
      ? undefined
      : `crontab has no ${s}`;
  const fields = s.split(/\s+/);
  if (fields.length === 6) return "crontab has no seconds field (6-field schedules)";
  if (/[?#]|\dL|\bL\b|\dW|LW/.test(s)) return "crontab has no ?, #, L or W";
  return undefined;
}
