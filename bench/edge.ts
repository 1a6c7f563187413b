// `npm run bench -- edge [--quick]`: what Slipway's edge config costs over a bare HAProxy.
// wrk at 64 connections against (a) a node:http upstream directly, (b) a bare two-server
// roundrobin HAProxy, (c) Slipway's edge exactly as the control plane configures it (routing,
// cookies, health checks, request logs to the in-process receiver within the default budget
// per backend) in front of the same upstream, and (c') the same with every request logged.
// Rounds are interleaved so host noise hits every setup alike; medians of 3 runs are reported.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HaproxyEdge } from "../packages/driver-local/src/edge";
import { livePidFromFile, runOrThrow, stopHaproxy } from "../packages/driver-local/src/edge/haproxy-process";
import { requireBinary } from "../packages/driver-local/src/system/binaries";
import { freePort } from "../packages/driver-local/src/system/ports";

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
}

/** A run plus CPU per request: on a shared 2-core box it varies less than req/s does. */
interface Run extends WrkResult {
  proxyUsPerReq: number;
  receiverUsPerReq: number;
}

type Setup = "direct" | "haproxy" | "edge" | "logAll";
const SETUPS: Setup[] = ["direct", "haproxy", "edge", "logAll"];
const LABEL: Record<Setup, string> = {
  direct: "(a) direct to node:http",
  haproxy: "(b) bare HAProxy, roundrobin",
  edge: "(c) Slipway edge, control-plane defaults",
  logAll: "(c') same, every request logged",
};

export default async function edgeBench({
  quick,
}: {
  quick: boolean;
}): Promise<Record<string, number | string>> {
  const seconds = quick ? 3 : 10;
  const wrk = requireBinary("wrk", "wrk");
  const dir = mkdtempSync(join(tmpdir(), "slw-bench-edge-"));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const [portA, portB] = [await freePort(), await freePort()];
    cleanups.push(await startUpstream([portA, portB]));
    const bare = await startBareHaproxy(dir, [portA, portB]);
    cleanups.push(bare.stop);
    const edge = await startSlipwayEdge(join(dir, "edge"), [portA, portB]);
    cleanups.push(edge.stop);
    const logAll = await startSlipwayEdge(join(dir, "logAll"), [portA, portB], true);
    cleanups.push(logAll.stop);
    const urls: Record<Setup, string> = {
      direct: `http://127.0.0.1:${portA}/`,
      haproxy: `http://127.0.0.1:${bare.port}/`,
      edge: `http://127.0.0.1:${edge.port}/`,
      logAll: `http://127.0.0.1:${logAll.port}/`,
    };
    const pids: Record<Setup, number | undefined> = {
      direct: undefined,
      haproxy: bare.pid,
      edge: edge.pid,
      logAll: logAll.pid,
    };
    for (const s of SETUPS) await runWrk(wrk, urls[s], 1); // warm-up: pools, JIT, caches
    const runs: Record<Setup, Run[]> = { direct: [], haproxy: [], edge: [], logAll: [] };
    for (let round = 0; round < 3; round++)
      for (const s of rotate(SETUPS, round)) runs[s].push(await measure(wrk, urls[s], seconds, pids[s]));
    return report(runs, seconds, {
      edge: await edge.loggedRequests(),
      logAll: await logAll.loggedRequests(),
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One node:http process serving a tiny response on each port (both HAProxy servers). */
async function startUpstream(ports: number[]): Promise<() => Promise<void>> {
  const code = `const http = require("node:http");
for (const p of process.argv.slice(1)) http.createServer((req, res) => res.end("ok\\n")).listen(Number(p), "127.0.0.1");`;
  const child = spawn(process.execPath, ["-e", code, ...ports.map(String)], { stdio: "ignore" });
  for (const port of ports) await waitForPort(port);
  return () => killChild(child);
}

async function startBareHaproxy(dir: string, upstreams: number[]) {
  const port = await freePort();
  const cfg = join(dir, "bare.cfg");
  const pidFile = join(dir, "bare.pid");
  writeFileSync(
    cfg,
    [
      "defaults",
      "  mode http",
      "  timeout connect 5s",
      "  timeout client 30s",
      "  timeout server 30s",
      "frontend fe",
      `  bind 127.0.0.1:${port}`,
      "  default_backend app",
      "backend app",
      "  balance roundrobin",
      ...upstreams.map((p, i) => `  server s${i} 127.0.0.1:${p}`),
      "",
    ].join("\n"),
  );
  await runOrThrow(
    requireBinary("haproxy", "haproxy"),
    ["-D", "-f", cfg, "-p", pidFile],
    dir,
    "start the bare config",
  );
  await waitForPort(port);
  return {
    port,
    pid: livePidFromFile(pidFile),
    stop: async () => {
      const pid = livePidFromFile(pidFile);
      if (pid !== undefined) await stopHaproxy(pid, 1000);
    },
  };
}

async function startSlipwayEdge(stateDir: string, upstreams: number[], logEveryRequest = false) {
  const port = await freePort();
  // What the control plane passes (packages/server edgeOf): a state directory and a log port;
  // runAs is left to its default as there.
  const edge = new HaproxyEdge({
    stateDir,
    logPort: await freePort(),
    ...(logEveryRequest ? { logBudgetPerSecond: Number.POSITIVE_INFINITY } : {}),
  });
  const { pid } = await edge.ensure({
    env: "bench",
    publicPort: port,
    routes: [
      { path: "/", backend: "web" },
      { path: "/api", backend: "api" },
    ],
    backends: [
      {
        name: "web",
        internalPort: await freePort(),
        health: { kind: "http", path: "/healthz", expectStatus: "200-299", intervalSeconds: 2 },
        servers: upstreams.map((p, i) => ({
          name: `v${i + 1}-1`,
          port: p,
          weight: i === 0 ? 90 : 10,
          state: "ready" as const,
        })),
      },
      {
        name: "api",
        health: { kind: "http", path: "/healthz", expectStatus: "200-299", intervalSeconds: 2 },
        servers: [],
      },
    ],
  });
  return {
    port,
    pid,
    stop: () => edge.stop(),
    /** Proof of what each setup paid for in request logs: lines the receiver counted. */
    loggedRequests: async () => {
      const stats = await edge.stats();
      return stats.reduce((n, s) => n + (s.latency?.samples ?? 0), 0);
    },
  };
}

/**
 * One wrk run, with the proxy's CPU (from /proc) and ours (the log receiver: this process
 * does nothing else meanwhile) divided by the requests served.
 */
async function measure(
  wrk: string,
  url: string,
  seconds: number,
  proxyPid: number | undefined,
): Promise<Run> {
  const proxyBefore = proxyPid ? cpuMs(proxyPid) : 0;
  const selfBefore = process.cpuUsage();
  const r = await runWrk(wrk, url, seconds);
  const self = process.cpuUsage(selfBefore);
  const proxyMs = proxyPid ? cpuMs(proxyPid) - proxyBefore : 0;
  return {
    ...r,
    proxyUsPerReq: (proxyMs * 1000) / r.requests,
    receiverUsPerReq: (self.user + self.system) / r.requests,
  };
}

/** utime + stime of a process, in ms (clock ticks are 10 ms on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /, "")
    .split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** wrk -t2 -c64 --latency; throws when wrk fails. Socket errors and non-2xx are counted. */
function runWrk(wrk: string, url: string, seconds: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, ["-t2", "-c64", `-d${seconds}s`, "--latency", url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => {
      const parsed = code === 0 ? parseWrk(out) : undefined;
      if (parsed) resolve(parsed);
      else reject(new Error(`wrk exited ${code}: ${out.slice(-500)}`));
    });
  });
}

/** Reads "Requests/sec:", the --latency distribution (50%, 99%) and error lines. */
export function parseWrk(text: string): WrkResult | undefined {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)?.[1];
  const requests = Number(/(\d+) requests in /.exec(text)?.[1] ?? 0);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  if (!rps || !p50 || !p99) return undefined;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const errors = non2xx + (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  return { rps: Number(rps), p50Ms: toMs(p50), p99Ms: toMs(p99), errors, requests };
}

function toMs(m: RegExpExecArray): number {
  const value = Number(m[1]);
  return m[2] === "us" ? value / 1000 : m[2] === "s" ? value * 1000 : value;
}

function report(runs: Record<Setup, Run[]>, seconds: number, logged: { edge: number; logAll: number }) {
  const med = (s: Setup, k: keyof Run) => median(runs[s].map((r) => r[k]));
  const bareRps = med("haproxy", "rps");
  const rows = SETUPS.map((s) => [
    LABEL[s],
    fmt(med(s, "rps"), 0),
    runs[s].map((r) => fmt(r.rps, 0)).join(" / "),
    fmt(med(s, "p50Ms"), 2),
    fmt(med(s, "p99Ms"), 2),
    s === "direct" ? "–" : fmt(med(s, "rps") / bareRps, 2),
    s === "direct" ? "–" : fmt(med(s, "proxyUsPerReq"), 1),
    // (a) and (b) show this process's own overhead (spawning wrk, GC): the receiver's floor.
    fmt(med(s, "receiverUsPerReq"), 1),
    String(runs[s].reduce((n, r) => n + r.errors, 0)),
  ]);
  const header = [
    "setup",
    "req/s (median)",
    "3 runs",
    "p50 ms",
    "p99 ms",
    "vs bare",
    "HAProxy µs/req",
    "our process µs/req (receiver)",
    "errors",
  ];
  console.log(`\nwrk -t2 -c64, ${seconds} s per run, 3 interleaved rounds, medians\n`);
  printTable([header, ...rows]);
  const served = (s: Setup) => runs[s].reduce((n, r) => n + r.requests, 0);
  console.log(
    `\nrequest log lines received by the control plane (incl. warm-up): (c) ${logged.edge} for ${served("edge")} measured requests, (c') ${logged.logAll} for ${served("logAll")}\n`,
  );
  const ratio = med("edge", "rps") / bareRps;
  return {
    edge_rps: Math.round(med("edge", "rps")),
    haproxy_rps: Math.round(bareRps),
    direct_rps: Math.round(med("direct", "rps")),
    ratio: fmt(ratio, 2),
    p99_added_ms: fmt(med("edge", "p99Ms") - med("haproxy", "p99Ms"), 2),
  };
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const [n, row] of rows.entries()) {
    console.log(
      `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`,
    );
    if (n === 0)
      console.log(
        `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
      );
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const fmt = (n: number, digits: number) => n.toFixed(digits);

/** Round r starts at setup r, so no setup always runs first (or right after a heavy one). */
function rotate<T>(items: T[], by: number): T[] {
  return [...items.slice(by % items.length), ...items.slice(0, by % items.length)];
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 5 s`);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}
