import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";

export const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "packages", "cli", "bin", "slipway.js");

/** A fresh copy of examples/shop in its own directory, as a user's project would be. */
export function makeProject(label: string): string {
  const root = mkdtempSync(`/tmp/slipway-e2e-${label}-`);
  chmodSync(root, 0o755);
  cpSync(join(REPO, "examples", "shop"), root, {
    recursive: true,
    filter: (src) => !/\/(node_modules|\.slipway)(\/|$)/.test(src.slice(REPO.length)),
  });
  // The spec imports @slipway/spec, as a user's project that installed it would.
  mkdirSync(join(root, "node_modules", "@slipway"), { recursive: true });
  symlinkSync(join(REPO, "packages", "spec"), join(root, "node_modules", "@slipway", "spec"));
  return root;
}

/**
 * Removes a test project and fails if anything of it still ran: a process left behind is a
 * bug (of `down`, of a failed deploy…), not noise. Leftovers are killed first, so one
 * failure does not leak servers and ports into the next test.
 */
export function removeProject(dir: string): void {
  const left = processesUnder(dir);
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
  if (left.length > 0)
    throw new Error(`processes of ${dir} were still running (now killed):\n${listed(left)}`);
}

/**
 * `slipway down` as a user runs it, and what it promises: it exits 0 and, once it has
 * returned, no process of the project runs any more (no grace period: `down` waits itself).
 */
export async function downCleanly(dir: string): Promise<void> {
  const down = await slipway(["down", "--dir", dir]);
  expect(down.code, `slipway down failed:\n${down.stderr}`).toBe(0);
  expect(listed(processesUnder(dir)), "processes left running after `slipway down`").toEqual("");
}

/**
 * The end of every e2e suite: `down` if a control plane still runs, checked as in
 * downCleanly, then the project is removed; any leftover fails the suite (after being killed).
 */
export async function finishProject(dir: string | undefined): Promise<void> {
  if (!dir) return;
  try {
    if (existsSync(join(dir, ".slipway", "server.json"))) await downCleanly(dir);
  } finally {
    removeProject(dir);
  }
}

const listed = (ps: { pid: number; cmd: string }[]) => ps.map((p) => `${p.pid} ${p.cmd}`).join("\n");

export interface UpResult {
  /** The edge's public URL. */
  edge: string;
  /** The control plane's API URL. */
  api: string;
  /** The admin token, on the first start only. */
  token?: string;
}

/** `slipway up --detach` on free ports (unless `args` chooses them); fails the test if `up` fails. */
export async function upDetached(dir: string, args: string[] = []): Promise<UpResult> {
  const ports = args.includes("--port") ? [] : ["--port", "0"];
  const up = await slipway(["up", "--detach", "--dir", dir, "--api-port", "0", ...ports, ...args, "--json"]);
  expect(up.code, up.stderr).toBe(0);
  const out = JSON.parse(up.stdout) as {
    controlPlane: string;
    adminToken?: string;
    environment: { url: string };
  };
  return { edge: out.environment.url, api: out.controlPlane, token: out.adminToken };
}

export function editFile(file: string, edit: (text: string) => string): void {
  writeFileSync(file, edit(readFileSync(file, "utf8")));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `slipway` command as a user would (a child process, no shell). */
export function slipway(
  args: string[],
  /** `input`: what the command reads on stdin (a secret's value); stdin is empty otherwise. */
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(opts.input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Starts a long-running `slipway` command (e.g. `logs -f`) and collects its output until stopped. */
export function slipwayFollow(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (b) => (stdout += b));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return {
    output: () => stdout,
    /** Resolves when the command ends by itself (e.g. the server closed the stream). */
    exited,
    stop(): Promise<void> {
      clearTimeout(timer);
      return new Promise((r) => {
        child.once("close", () => r());
        child.kill("SIGINT");
      });
    },
  };
}

/**
 * Starts a `slipway` command the way a terminal runs a foreground job: in its own process
 * group, so `signal` reaches the group as Ctrl-C (SIGINT) from a terminal does.
 */
export function slipwayForeground(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b) => (stdout += b));
  child.stderr.on("data", (b) => (stderr += b));
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    signal(sig: NodeJS.Signals): void {
      process.kill(-child.pid!, sig);
    },
  };
}

export async function getJson<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls fn until it returns a truthy value; bounded. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`);
}

/** How many successful responses arrived between `from` and `to` (ms since the epoch). */
export function answeredBetween(report: LoadReport, from: number, to: number): number {
  return report.okAt.filter((t) => t >= from && t <= to).length;
}

export interface LoadReport {
  sent: number;
  failed: number;
  failures: string[];
  seconds: number;
  byRelease: Record<string, number>;
  /** When each successful response arrived (ms since the epoch), in order. */
  okAt: number[];
}

/**
 * A steady load on 127.0.0.1: `concurrency` keep-alive loops, each pacing itself to
 * `ratePerLoop` requests a second, until stopped or `maxSeconds` pass (it always stops).
 */
export function startLoad(
  url: string,
  o: { concurrency?: number; ratePerLoop?: number; maxSeconds?: number } = {},
) {
  const concurrency = o.concurrency ?? 4;
  const gapMs = 1000 / (o.ratePerLoop ?? 25);
  const until = Date.now() + 1000 * (o.maxSeconds ?? 300);
  const report: LoadReport = { sent: 0, failed: 0, failures: [], seconds: 0, byRelease: {}, okAt: [] };
  let stopping = false;
  const began = Date.now();
  const loop = async () => {
    while (!stopping && Date.now() < until) {
      const t0 = Date.now();
      report.sent++;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status !== 200) {
          report.failed++;
          report.failures.push(`${res.status} ${body.slice(0, 200)}`);
        } else {
          const release = (JSON.parse(body) as { release?: string }).release ?? "?";
          report.byRelease[release] = (report.byRelease[release] ?? 0) + 1;
          report.okAt.push(Date.now());
        }
      } catch (e) {
        report.failed++;
        report.failures.push(String((e as Error).cause ?? e));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, gapMs - (Date.now() - t0))));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop(): Promise<LoadReport> {
      stopping = true;
      await Promise.all(loops);
      report.seconds = (Date.now() - began) / 1000;
      report.okAt.sort((a, b) => a - b);
      return report;
    },
  };
}

/** Processes whose working directory or command line mention `dir`: what `down` must leave none of. */
export function processesUnder(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {}
      if (cmd && (cmd.includes(dir) || cwd.startsWith(dir))) out.push({ pid, cmd });
    } catch {}
  }
  return out;
}
