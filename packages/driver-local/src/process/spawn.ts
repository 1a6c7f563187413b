import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdirSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, resolve } from "node:path";
import {
  type ProcessSpec as CoreProcessSpec,
  type ProcessHandle,
  SlipwayError,
  SYSTEM_PATH,
} from "@slipway/core";
import { openAppendNoFollow } from "@slipway/files";
import { readStartTime } from "./proc";

/** A service process as the local driver runs it: the control plane's spec, and who runs it. */
export type ProcessSpec = CoreProcessSpec & {
  /** Least privilege when we are root (see appUser()); the local driver sets it, never the control plane. */
  runAs?: { uid: number; gid: number };
};

export interface Spawned {
  child: ChildProcess;
  handle: ProcessHandle;
}

/**
 * Starts one service process that does not need us afterwards: its own session and process
 * group (so we can signal the group and it outlives us), no pipes (stdout and stderr go
 * straight to the log file), no shell (argv reaches the program verbatim).
 */
export async function spawnService(spec: ProcessSpec): Promise<Spawned> {
  const env = childEnv(spec.env);
  const file = resolveExecutable(spec, env.PATH ?? "");
  assertDirectory(spec);
  const fd = openLog(spec.logFile, spec.runAs);
  let child: ChildProcess;
  try {
    child = spawn(file, spec.argv.slice(1), {
      argv0: spec.argv[0],
      shell: false,
      detached: true,
      stdio: ["ignore", fd, fd],
      cwd: spec.cwd,
      env,
      uid: spec.runAs?.uid,
      gid: spec.runAs?.gid,
    });
  } catch (e) {
    throw spawnFailed(spec, e);
  } finally {
    // spawn() returns after the child exec'd with its own copy of the fd.
    closeSync(fd);
  }
  if (child.pid === undefined) throw spawnFailed(spec, await firstError(child));
  child.unref();
  return { child, handle: { id: spec.id, pid: child.pid, startTime: startTimeOf(spec, child.pid) } };
}

/**
 * Exactly the spec's environment. Without a PATH there, the system's: never ours, which may
 * hold Slipway's own tools (under npx, its node_modules/.bin).
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return env.PATH === undefined ? { ...env, PATH: SYSTEM_PATH } : { ...env };
}

/** Looks argv[0] up the way execvp would, but up front, so a typo is a clear error, not ENOENT. */
export function resolveExecutable(spec: ProcessSpec, pathEnv: string): string {
  const name = spec.argv[0];
  if (!name) throw failed(spec, "argv is empty", "give the command to run as argv[0]");
  const candidates = name.includes("/")
    ? [resolve(spec.cwd, name)]
    : pathEnv
        .split(delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => resolve(isAbsolute(dir) ? dir : resolve(spec.cwd, dir), name));
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  throw failed(
    spec,
    `cannot run "${name}": ${name.includes("/") ? "no executable file at that path" : "not found on PATH"}`,
    name.includes("/")
      ? `check the path (relative paths start at ${spec.cwd}) and that the file is executable (chmod +x)`
      : `add the package that provides it to the app's dependencies (its bin lands in node_modules/.bin, first on PATH), or install it system-wide (searched: ${pathEnv || "(empty)"})`,
  );
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function assertDirectory(spec: ProcessSpec): void {
  let ok = false;
  try {
    ok = statSync(spec.cwd).isDirectory();
  } catch {}
  if (!ok)
    throw failed(spec, `working directory ${spec.cwd} does not exist`, "create it or fix the service's cwd");
}

/**
 * O_APPEND, so the service, log rotation by truncation and `slipway logs` agree on the end.
 * The log directory is ours (root's when we are root); the file is opened without following a
 * link all the same. The service writes through our fd, but owning its log lets it reopen it.
 */
function openLog(logFile: string, runAs: ProcessSpec["runAs"]): number {
  mkdirSync(dirname(logFile), { recursive: true });
  return openAppendNoFollow(logFile, 0o640, runAs);
}

function startTimeOf(spec: ProcessSpec, pid: number): string {
  // Read before we yield to the event loop: until then the child cannot have been reaped.
  const startTime = readStartTime(pid);
  if (startTime !== undefined) return startTime;
  throw failed(spec, `cannot read /proc/${pid}/stat`, "the local driver needs /proc (Linux) mounted");
}

function firstError(child: ChildProcess): Promise<Error> {
  return new Promise((resolve) => child.once("error", resolve));
}

function spawnFailed(spec: ProcessSpec, e: unknown): SlipwayError {
  const code = (e as NodeJS.ErrnoException).code;
  const hint =
    code === "EACCES" || code === "EPERM"
      ? `let ${spec.runAs ? `uid ${spec.runAs.uid}` : "us"} read and execute ${spec.argv[0]} and enter ${spec.cwd}`
      : code === "ENOENT"
        ? `for a script, check that its #! interpreter is installed`
        : "check the service's argv, env and cwd (no NUL characters allowed)";
  return failed(spec, `could not start "${spec.argv[0]}": ${(e as Error).message}`, hint, code);
}

function failed(spec: ProcessSpec, message: string, hint: string, code?: string): SlipwayError {
  return new SlipwayError("SLW_PROCESS_FAILED", `${spec.id}: ${message}`, hint, {
    id: spec.id,
    argv0: spec.argv[0],
    cwd: spec.cwd,
    ...(code ? { code } : {}),
  });
}
