import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasExited } from "@slipway/core";
import { openAppendNoFollow, readStat } from "@slipway/driver-local";

const RUNNER = fileURLToPath(new URL("./runner.mjs", import.meta.url));

export interface JobLaunch {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  statusFile: string;
  runAs?: { uid: number; gid: number };
}

/**
 * Starts the release job detached (it outlives us); its outcome lands in statusFile. The log
 * and status files live in a directory only we can write: the runner runs as us and starts the
 * job itself as `runAs`, which gets the log as its stdout and nothing else of that directory.
 */
export function launchJob(j: JobLaunch): number {
  const fd = openAppendNoFollow(j.logFile, 0o640);
  try {
    const ids = j.runAs ? [String(j.runAs.uid), String(j.runAs.gid)] : ["-", "-"];
    const child = spawn(process.execPath, [RUNNER, j.statusFile, ...ids, ...j.argv], {
      cwd: j.cwd,
      env: j.env,
      shell: false,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    child.unref();
    return child.pid ?? -1;
  } finally {
    closeSync(fd);
  }
}

/** The job's exit code once it has finished, else undefined. */
export function jobExitCode(statusFile: string): number | undefined {
  if (!existsSync(statusFile)) return undefined;
  return (JSON.parse(readFileSync(statusFile, "utf8")) as { code: number }).code;
}

/**
 * Whether a process with this pid still runs. A zombie counts as gone: our own children
 * outlive a killed control plane and may never be reaped by this machine's PID 1.
 */
export function isAlive(pid: number | null): boolean {
  if (!pid || pid <= 0) return false;
  const stat = readStat(pid);
  return stat !== undefined && !hasExited(stat);
}

export function tail(file: string, bytes = 4000): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  return text.slice(-bytes);
}
