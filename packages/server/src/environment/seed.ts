import type { ServiceConfig } from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";

/**
 * Whether this release's job must also seed: the release carries `data.seed` and no earlier
 * release job of the environment succeeded, so its database is new (the schema is being made
 * now). Read from the store alone, so once a job succeeded the seed is never run again, and a
 * release job launched again after a crash decides the same.
 */
export async function seedDue(ctx: Ctx, env: EnvironmentRow, release: ReleaseRow): Promise<boolean> {
  if (!release.config.seed) return false;
  const releases = await ctx.store.releases.list(env.id);
  return !releases.some((r) => r.id !== release.id && r.jobStatus === "succeeded");
}

/**
 * Runs argvs one after the other in the job's process group, each without a shell, and stops
 * at the first that fails with its exit code. The argvs come after it as `count, ...argv`.
 */
const SEQUENCE = `const { spawnSync } = require("node:child_process");
const a = process.argv.slice(1);
for (let i = 0; i < a.length; ) {
  const n = Number(a[i]);
  const argv = a.slice(i + 1, i + 1 + n);
  i += 1 + n;
  const r = spawnSync(argv[0], argv.slice(1), { stdio: "inherit" });
  if (r.error) { console.error(argv[0] + ": " + r.error.message); process.exit(127); }
  if (r.status !== 0) process.exit(r.status ?? 1);
}`;

/**
 * The release job's service with the seed run after its command, with the same environment
 * (add-on URLs, secrets): one job, so its outcome, log and stop work as the release job's do.
 */
export function seededJob(job: ServiceConfig, seed: string[]): ServiceConfig {
  return {
    ...job,
    command: [
      "node",
      "-e",
      SEQUENCE,
      String(job.command.length),
      ...job.command,
      String(seed.length),
      ...seed,
    ],
  };
}
