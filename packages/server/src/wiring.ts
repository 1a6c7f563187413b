/**
 * The one file that picks the target: the control plane talks to it only through the ports
 * in core. Lint (biome.json) keeps every other file of the server away from driver-local.
 */
import type { Driver } from "@slipway/core";
import {
  installedPostgresMajor,
  isAlive,
  localDriver,
  type PublicBind,
  readStartTime,
  runToCompletion,
} from "@slipway/driver-local";
import type { StatePaths } from "./paths";

/** This machine as the target, with its state under the project's `.slipway/` (or the data dir). */
export function wireDriver(paths: StatePaths, publicBind?: PublicBind): Driver {
  return localDriver({
    edgeDir: (env) => paths.env(env).edge,
    buildsDir: paths.builds,
    depsDir: paths.deps,
    ...(publicBind ? { publicBind } : {}),
  });
}

/**
 * The control plane's own needs of this machine, not a target's: its embedded store's
 * PostgreSQL, and naming its own process (pid and start time) in server.json.
 */
export const host = {
  /** The newest PostgreSQL major installed; throws SLW_BINARY_MISSING. */
  installedPostgresMajor: () => installedPostgresMajor(),
  /** This process's start time, which with its pid names it for the life of the machine. */
  startTime: (pid: number) => readStartTime(pid),
  isAlive: (pid: number, startTime: string) => isAlive(pid, startTime),
  /** Runs argv to completion (no shell): auto-deploy asks git for a branch's head with it. */
  run: (argv: string[], opts: { cwd: string }) => runToCompletion(argv, opts),
};
