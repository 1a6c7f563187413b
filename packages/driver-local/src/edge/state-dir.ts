import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import type { EdgeConfig } from "./types";

/** Files the edge keeps in its own directory (one directory per environment). */
export interface EdgePaths {
  dir: string;
  config: string;
  socket: string;
  pidFile: string;
  state: string;
  drainAcl: (backend: string) => string;
  /** Per backend, a map from the backend's name to its canary server's cookie (empty: no canary). */
  canaryMap: (backend: string) => string;
}

export function edgePaths(stateDir: string): EdgePaths {
  const dir = resolve(stateDir);
  return {
    dir,
    config: join(dir, "haproxy.cfg"),
    socket: join(dir, "admin.sock"),
    pidFile: join(dir, "haproxy.pid"),
    state: join(dir, "edge.json"),
    drainAcl: (backend) => join(dir, `drain-${backend}.acl`),
    canaryMap: (backend) => join(dir, `canary-${backend}.map`),
  };
}

/** What the running HAProxy was given, so a restarted control plane can adopt it. */
export interface EdgeState {
  version: 1;
  /** Dynamic-cookie secret; kept so cookies survive HAProxy restarts. */
  cookieKey: string;
  config: EdgeConfig;
  /** Pids handed over by a reload that may still be finishing requests. */
  retiring: number[];
}

export function readEdgeState(paths: EdgePaths): EdgeState | undefined {
  if (!existsSync(paths.state)) return undefined;
  try {
    const state = JSON.parse(readFileSync(paths.state, "utf8")) as EdgeState;
    if (state.version !== 1 || typeof state.cookieKey !== "string") throw new Error("unknown version");
    return { ...state, retiring: state.retiring ?? [] };
  } catch (e) {
    throw new SlipwayError(
      "SLW_STATE_CORRUPT",
      `the edge state file ${paths.state} could not be read: ${(e as Error).message}`,
      `stop the edge's HAProxy (its pid is in ${paths.pidFile}), delete ${paths.state}, and start again`,
      { path: paths.state },
    );
  }
}

/**
 * Writes haproxy.cfg and edge.json, each atomically (tmp + fsync + rename): HAProxy must never read a
 * half-written file at a restart. Creates any missing (empty) drain ACL and canary map file the
 * config names.
 */
export function writeEdgeFiles(paths: EdgePaths, haproxyCfg: string, state: EdgeState): void {
  // Only the edge's own directory is private: a recursive mkdir would make its parents (the
  // environment's directory, which services' volumes and add-ons sit under) private too.
  mkdirSync(dirname(paths.dir), { recursive: true, mode: 0o755 });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  for (const b of state.config.backends) {
    for (const file of [paths.drainAcl(b.name), paths.canaryMap(b.name)])
      if (!existsSync(file)) writeFileSync(file, "", { mode: 0o600 });
  }
  writeFileAtomic(paths.config, haproxyCfg, 0o600);
  writeFileAtomic(paths.state, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
