import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, readFileSync } from "node:fs";
import { openAppendNoFollow, readFileNoFollow } from "@slipway/files";
import type { RunAs } from "../system/service-user";

/**
 * Add-ons get a fixed, minimal environment: the control plane's own env may hold tokens
 * that a database server has no business seeing.
 */
export const ADDON_ENV: NodeJS.ProcessEnv = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" };

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs argv to completion (never through a shell), as `runAs` when given; stdout+stderr merged. */
export function run(cmd: string, args: string[], runAs: RunAs | undefined, cwd = "/"): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      shell: false,
      cwd,
      env: ADDON_ENV,
      // pg_ctl forks the postmaster; its own session keeps our terminal's signals away from it.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      ...ids(runAs),
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d));
    child.stderr?.on("data", (d: Buffer) => (output += d));
    child.once("error", (e) => resolve({ code: null, output: `${output}${e.message}` }));
    child.once("close", (code) => resolve({ code, output }));
  });
}

/**
 * Starts a long-lived server that must survive us: own session, stdout/stderr appended to
 * `logFile`, nothing tied to our pipes except stdin, which carries its secrets and is closed
 * right away (so they never appear in argv or on disk).
 */
export function spawnDetached(
  cmd: string,
  args: string[],
  opts: {
    runAs: RunAs | undefined;
    cwd: string;
    logFile: string;
    stdin: string;
    /** Added to ADDON_ENV, for a tool that takes its secret only from the environment (PGPASSWORD). */
    env?: Record<string, string>;
  },
): ChildProcess {
  // The log sits in the add-on user's data directory: never follow what that user put there.
  const log = openAppendNoFollow(opts.logFile, 0o600, opts.runAs);
  try {
    const child = spawn(cmd, args, {
      shell: false,
      cwd: opts.cwd,
      env: { ...ADDON_ENV, ...opts.env },
      detached: true,
      stdio: ["pipe", log, log],
      ...ids(opts.runAs),
    });
    child.once("error", () => {}); // surfaces as "did not become ready" with the log tail
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.stdin);
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Whether the child has gone (exited, or never started), for cutting a readiness wait short. */
export function exitWatch(child: ChildProcess): () => boolean {
  let gone = false;
  child.once("exit", () => (gone = true));
  child.once("error", () => (gone = true));
  return () => gone;
}

function ids(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

/** True when `pid` is a live (not zombie) process whose name starts with `comm`. */
export function pidAlive(pid: number | undefined, comm: string): boolean {
  if (!pid || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X" && name.startsWith(comm);
  } catch {
    return false;
  }
}

/** Signals a process that may have exited in the meantime. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** First line of a pid file as a number, or undefined when absent or unreadable. */
export function readPidFile(file: string): number | undefined {
  const text = readFileNoFollow(file, 4096);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.split("\n")[0] ?? "", 10);
  return Number.isFinite(pid) ? pid : undefined;
}

/** Polls `check` until it returns a value, or gives up after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  stopEarly: () => boolean = () => false,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (stopEarly() || Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a process to go away; false if it is still there after `timeoutMs`. */
export async function waitForExit(pid: number, comm: string, timeoutMs: number): Promise<boolean> {
  const gone = await waitFor(async () => (pidAlive(pid, comm) ? undefined : true), timeoutMs);
  return gone === true;
}

/** Last lines of each log that exists, for error messages; a link at a log's name is not read through. */
export function logTail(files: string[], lines = 15): string {
  return files
    .map((f) => readFileNoFollow(f, 64 * 1024) ?? "")
    .map((text) => text.trimEnd().split("\n").slice(-lines).join("\n"))
    .filter((t) => t.length > 0)
    .join("\n");
}
