import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isSlipwayError, SlipwayError } from "@slipway/core";
import { requireBinary } from "../../system/binaries";
import type { RunAs } from "../../system/service-user";
import { ADDON_ENV } from "../process";

/** How a tool is run: as the add-on user, with a password in its environment (never argv). */
export interface ToolOptions {
  runAs: RunAs | undefined;
  password?: string;
  /** More variables for the tool, e.g. REDISCLI_AUTH (secrets go here, never in argv). */
  env?: Record<string, string>;
  /** Whether our side writes its stdin / reads its stdout. */
  stdin?: "pipe" | "ignore";
  stdout?: "pipe" | "ignore";
}

/** zstd compresses WAL and unpacks base backups (through tar); Debian's package is `zstd`. */
export function requireZstd(): void {
  requireBinary("zstd", "zstd", ADDON_ENV.PATH);
}

/** Spawns argv (no shell) with the add-ons' minimal environment; stderr is kept for errors. */
export function spawnTool(cmd: string, args: string[], opts: ToolOptions): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...ADDON_ENV, TZ: "UTC" };
  if (opts.password !== undefined) env.PGPASSWORD = opts.password;
  Object.assign(env, opts.env);
  return spawn(cmd, args, {
    shell: false,
    cwd: "/",
    env,
    stdio: [opts.stdin ?? "ignore", opts.stdout ?? "ignore", "pipe"],
    ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
  });
}

/** Its exit code and output, whatever the code (pg_waldump exits 1 at the end of the WAL it has). */
export function outcome(
  child: ChildProcess,
  collectStdout = true,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  let stdout = "";
  let stderr = "";
  if (collectStdout)
    child.stdout?.on("data", (d: Buffer) => {
      if (stdout.length < 64 << 20) stdout += d;
    });
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  return new Promise((resolve) => {
    child.once("error", (e) => resolve({ code: null, stdout, stderr, error: e.message }));
    child.once("close", (code, sig) => resolve({ code: code ?? (sig ? -1 : null), stdout, stderr }));
  });
}

/**
 * Resolves with its stdout when the tool exits 0; otherwise rejects with its output. A caller
 * that pipes the stdout elsewhere says so (`collectStdout` false).
 */
export async function finished(child: ChildProcess, what: string, collectStdout = true): Promise<string> {
  const r = await outcome(child, collectStdout);
  if (r.code === 0) return r.stdout;
  throw failedTool(what, r.error ?? (r.stderr.trim() || `exited with ${r.code}`), r.code);
}

/** Runs a tool to completion and returns its stdout. */
export function runTool(cmd: string, args: string[], what: string, opts: ToolOptions): Promise<string> {
  return finished(spawnTool(cmd, args, { ...opts, stdout: "pipe" }), what);
}

/**
 * Streams `source` through `steps` into the tool's stdin and waits for both. When both fail,
 * our own verdict (a corrupted file) wins over the tool's complaint about what it was fed.
 */
export async function pipeInto(
  source: Readable,
  steps: Transform[],
  child: ChildProcess,
  what: string,
): Promise<void> {
  if (!child.stdin) throw new Error("pipeInto needs a child with a piped stdin");
  child.stdin.on("error", () => {}); // EPIPE when the tool gives up early: its exit says why
  const [fed, exited] = await Promise.allSettled([
    pipeline([source, ...steps, child.stdin]),
    finished(child, what),
  ]);
  if (fed.status === "rejected" && isSlipwayError(fed.reason)) throw fed.reason;
  if (exited.status === "rejected") throw exited.reason;
  if (fed.status === "rejected") throw fed.reason;
}

function failedTool(what: string, output: string, code?: number | null): SlipwayError {
  return new SlipwayError("SLW_BACKUP_FAILED", `${what} failed:\n${output}`, "read the tool's output above", {
    output,
    exitCode: code,
  });
}
