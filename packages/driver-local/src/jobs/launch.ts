import { spawn } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JobOutcome, JobRef, JobSpec } from "@slipway/core";
import { openAppendNoFollow } from "@slipway/files";
import { findByNonce, isAlive } from "../process/proc";
import { terminateGroup } from "../process/signals";
import type { RunAs } from "../system/service-user";

const RUNNER = fileURLToPath(new URL("./runner.mjs", import.meta.url));

/**
 * Where the runner leaves the job's exit code (and, first, its own pid): beside the job's log,
 * named by the job's id, in a directory only we can write.
 */
export function jobStatusFile(job: { id: string; logFile: string }): string {
  return join(dirname(job.logFile), `.${job.id.replace(/[^A-Za-z0-9.-]/g, "_")}.status.json`);
}

/**
 * Starts a one-shot job detached (it outlives us); its outcome lands in its status file. The
 * log and status files live in a directory only we can write: the runner runs as us and
 * starts the job itself as `runAs`, which gets the log as its stdout and nothing else of that
 * directory.
 */
export function launchJob(j: JobSpec, runAs: RunAs | undefined): number {
  ownDirectory(dirname(j.logFile));
  const fd = openAppendNoFollow(j.logFile, 0o640);
  try {
    const ids = runAs ? [String(runAs.uid), String(runAs.gid)] : ["-", "-"];
    const child = spawn(process.execPath, [RUNNER, jobStatusFile(j), ...ids, ...j.argv], {
      cwd: j.cwd,
      env: { ...j.env, SLIPWAY_PROCESS_NONCE: j.nonce },
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

/**
 * Exit code file → exited; a live runner (by pid, or by its nonce when we died before
 * recording the pid) → running; a pid file but no runner → unknown (it may have run the
 * command); nothing at all → never started.
 */
export function jobOutcome(job: JobRef): JobOutcome {
  const statusFile = jobStatusFile(job);
  const code = exitCode(statusFile);
  if (code !== undefined) return { state: "exited", code };
  const pid = job.pid ?? findByNonce(job.nonce)?.pid;
  if (pid && isAlive(pid)) return { state: "running", pid };
  // The runner records the code and then exits: it may have done both between the two looks
  // above, and a finished job must not read as one that vanished.
  const late = exitCode(statusFile);
  if (late !== undefined) return { state: "exited", code: late };
  return existsSync(`${statusFile}.pid`) || job.pid ? { state: "unknown" } : { state: "not-started" };
}

/** SIGTERM to the job's group (runner, command and what it forked), `graceMs`, then SIGKILL. */
export async function stopJob(job: JobRef, graceMs: number): Promise<void> {
  const outcome = jobOutcome(job);
  if (outcome.state === "running") await terminateGroup(outcome.pid, graceMs);
}

function exitCode(statusFile: string): number | undefined {
  if (!existsSync(statusFile)) return undefined;
  return (JSON.parse(readFileSync(statusFile, "utf8")) as { code: number }).code;
}

/**
 * Ours alone: the job (running as another user) must not be able to plant a link at its log.
 * Earlier versions handed cron's directory to the service user; take it back.
 */
function ownDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const uid = process.getuid?.();
  if (uid !== undefined && statSync(dir).uid !== uid) chownSync(dir, uid, process.getgid!());
}
