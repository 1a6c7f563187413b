// `npm run bench -- footprint [--quick]`: what leaving Slipway running costs. For each store,
// on a fresh copy of examples/shop whose dependencies are already installed: the wall time of
// `slipway up --detach` until the stack serves, the control plane's idle RSS and CPU, the
// store server's memory (proportional set size, so shared pages count once), the wall time of
// `slipway status`, and of `up` again after `down`. Reference, same machine, same run: the
// previous embedded store, PGlite (a project whose `.slipway/store` is a PGlite directory keeps
// using it, so seeding one is how the previous behaviour is reproduced).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeProject, removeProject, slipway } from "../e2e/harness";
import { freePort } from "../packages/driver-local/src/system/ports";
import { openStore } from "../packages/store/src";

interface Sample {
  /** Creating the store before `up` (PGlite only: seeding it is how the reference is chosen). */
  seedS: number;
  upS: number;
  rssMb: number;
  cpuPct: number;
  storeMb: number;
  statusMs: number;
  upAgainS: number;
}

const TICKS_PER_S = 100; // USER_HZ on Linux

export default async function footprintBench({ quick }: { quick: boolean }) {
  const idleS = quick ? 4 : 15;
  const statusRuns = quick ? 3 : 7;
  const deps = await warmDependencies();
  try {
    const ours = await measure("postgres", deps.depsDir, idleS, statusRuns);
    const ref = await measure("pglite", deps.depsDir, idleS, statusRuns);
    printTable(ours, ref, idleS);
    return {
      control_plane_rss_mb: ours.rssMb.toFixed(0),
      up_s: ours.upS.toFixed(2),
      up_again_s: ours.upAgainS.toFixed(2),
      cli_status_ms: ours.statusMs.toFixed(0),
      store_server_mb: ours.storeMb.toFixed(0),
      pglite_rss_mb: ref.rssMb.toFixed(0),
      pglite_up_s: ref.upS.toFixed(2),
    };
  } finally {
    removeProject(deps.dir);
  }
}

/** One `up` that installs the example's dependencies, so the measured ones find them done. */
async function warmDependencies(): Promise<{ dir: string; depsDir: string }> {
  const dir = makeProject("bench-footprint-warm");
  const up = await slipway(upArgs(dir, await freePort()));
  if (up.code !== 0) throw new Error(`warm-up up failed: ${up.stderr}`);
  await mustDown(dir);
  return { dir, depsDir: join(dir, ".slipway", "deps") };
}

async function measure(
  store: "postgres" | "pglite",
  depsDir: string,
  idleS: number,
  statusRuns: number,
): Promise<Sample> {
  const dir = makeProject(`bench-footprint-${store}`);
  try {
    mkdirSync(join(dir, ".slipway"), { recursive: true });
    cpSync(depsDir, join(dir, ".slipway", "deps"), { recursive: true, verbatimSymlinks: true });
    const seedS = await timed(async () => {
      if (store === "pglite") await (await openStore({ dataDir: join(dir, ".slipway", "store") })).close();
    });
    const port = await freePort();

    const upS = await timed(async () => {
      const up = await slipway(upArgs(dir, port));
      if (up.code !== 0) throw new Error(`up (${store}) failed: ${up.stderr}`);
    });
    const pid = (JSON.parse(readFileSync(join(dir, ".slipway", "server.json"), "utf8")) as { pid: number })
      .pid;
    await sleep(2000); // let start-up garbage be collected before calling it idle
    const cpu0 = cpuTicks(pid);
    await sleep(idleS * 1000);
    const cpuPct = ((cpuTicks(pid) - cpu0) / TICKS_PER_S / idleS) * 100;
    const rssMb = vmRssKb(pid) / 1024;
    const storeMb = storeServerPssKb(join(dir, ".slipway", "store", "postgres")) / 1024;

    const statusTimes: number[] = [];
    for (let i = 0; i < statusRuns; i++) {
      statusTimes.push(
        await timed(async () => {
          const s = await slipway(["status", "--dir", dir]);
          if (s.code !== 0) throw new Error(`status failed: ${s.stderr}`);
        }),
      );
    }

    await mustDown(dir);
    const upAgainS = await timed(async () => {
      const up = await slipway(upArgs(dir, port));
      if (up.code !== 0) throw new Error(`up after down (${store}) failed: ${up.stderr}`);
    });
    await mustDown(dir);
    return { seedS, upS, rssMb, cpuPct, storeMb, statusMs: median(statusTimes) * 1000, upAgainS };
  } finally {
    removeProject(dir);
  }
}

function printTable(ours: Sample, ref: Sample, idleS: number): void {
  const rows: [string, (s: Sample) => string][] = [
    ["slipway up, fresh project, deps cached (s)", (s) => s.upS.toFixed(2)],
    ["  + store created before up, in the bench (s)", (s) => (s.seedS > 0.05 ? s.seedS.toFixed(2) : "-")],
    [`control plane idle RSS (MB)`, (s) => s.rssMb.toFixed(0)],
    [`control plane idle CPU over ${idleS} s (% of a core)`, (s) => s.cpuPct.toFixed(2)],
    ["store server processes, PSS (MB)", (s) => (s.storeMb ? s.storeMb.toFixed(0) : "-")],
    ["slipway status, wall (ms, median)", (s) => s.statusMs.toFixed(0)],
    ["slipway up after down (s)", (s) => s.upAgainS.toFixed(2)],
  ];
  console.log("\ncontrol-plane footprint, examples/shop, one run each");
  console.log(`${"".padEnd(50)} ${"PostgreSQL store".padStart(17)} ${"PGlite (previous)".padStart(18)}`);
  for (const [label, f] of rows)
    console.log(`${label.padEnd(50)} ${f(ours).padStart(17)} ${f(ref).padStart(18)}`);
}

const upArgs = (dir: string, port: number) => [
  "up",
  "--detach",
  "--dir",
  dir,
  "--port",
  String(port),
  "--api-port",
  "0",
];

async function mustDown(dir: string): Promise<void> {
  const d = await slipway(["down", "--dir", dir]);
  if (d.code !== 0) throw new Error(`down failed: ${d.stderr}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function procField(pid: number, file: string, key: string): number {
  const line = readFileSync(`/proc/${pid}/${file}`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}:`));
  return Number.parseInt(line?.split(/\s+/)[1] ?? "0", 10);
}

const vmRssKb = (pid: number) => procField(pid, "status", "VmRSS");

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** The store's postmaster and its children, by PSS; 0 when the store is not a server. */
function storeServerPssKb(dataDir: string): number {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return 0;
  const postmaster = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (pid === postmaster || ppid === postmaster) total += procField(pid, "smaps_rollup", "Pss");
    } catch {}
  }
  return total;
}
