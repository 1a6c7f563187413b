import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "@slipway/core";
import type { EdgePaths } from "./state-dir";

// HAProxy expands environment variables in its config: give it nothing of ours to expand.
const HAPROXY_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/sbin:/usr/sbin:/usr/local/bin:/usr/bin:/bin",
  LANG: "C.UTF-8",
};

/** `haproxy -c`: parse and validate without starting. */
export function checkArgs(paths: EdgePaths): string[] {
  return ["-c", "-q", "-f", paths.config];
}

/**
 * Daemon mode (-D): HAProxy binds every listener, then forks and the launcher exits, so exit
 * code 0 means "serving" and the daemon outlives us (even our kill -9). With `handoverFrom`,
 * the new process takes the old one's listening sockets over the runtime socket (-x) and
 * tells it to finish its requests and leave (-sf): no refused connection during a reload.
 */
export function daemonArgs(paths: EdgePaths, handoverFrom?: number): string[] {
  const args = ["-D", "-f", paths.config, "-p", paths.pidFile];
  return handoverFrom === undefined ? args : [...args, "-x", paths.socket, "-sf", String(handoverFrom)];
}

/** Runs haproxy to completion (the launcher, for -D) and returns its exit code and output. */
export function runHaproxy(
  bin: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Own session: a Ctrl-C or process-group kill aimed at us does not reach the daemon.
    const child = spawn(bin, args, {
      shell: false,
      cwd,
      env: HAPROXY_ENV,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.once("error", (e) => resolve({ code: null, output: output + e.message }));
    child.once("close", (code) => resolve({ code, output }));
  });
}

export async function runOrThrow(bin: string, args: string[], cwd: string, what: string): Promise<void> {
  const { code, output } = await runHaproxy(bin, args, cwd);
  if (code !== 0)
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `HAProxy could not ${what}: ${tail(output)}`,
      `read the rendered config at ${args[args.indexOf("-f") + 1]}; the lines named above are the cause`,
      { args, code, output: tail(output, 4000) },
    );
}

/** The pid in HAProxy's pidfile, if that process is a live haproxy (not a zombie, not a reused pid). */
export function livePidFromFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim().split("\n").pop());
  return Number.isInteger(pid) && pid > 0 && isLiveHaproxy(pid) ? pid : undefined;
}

export function isLiveHaproxy(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const m = /^\d+ \((.*)\) (\S)/.exec(stat);
    return m?.[1] === "haproxy" && m[2] !== "Z" && m[2] !== "X";
  } catch {
    return false;
  }
}

/**
 * SIGUSR1 (soft stop: stop listening, finish requests), then SIGTERM, then SIGKILL, each after
 * its grace period. The daemon is not our child, so "gone" is read from /proc.
 */
export async function stopHaproxy(pid: number, graceMs = 5000): Promise<void> {
  for (const [signal, wait] of [
    ["SIGUSR1", graceMs],
    ["SIGTERM", 2000],
    ["SIGKILL", 2000],
  ] as const) {
    if (!isLiveHaproxy(pid)) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await exited(pid, wait)) return;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isLiveHaproxy(pid)) return true;
    await sleep(20);
  }
  return !isLiveHaproxy(pid);
}

function tail(text: string, max = 800): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}
