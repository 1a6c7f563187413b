// `npm run bench -- deploy [--quick]`: how long from `slipway deploy` (build cached) until
// 100% of traffic is on the new revision, and how many requests fail meanwhile, under a
// steady load. Reference, same machine, same run: the same api process restarted in place
// (stop, then start on the same port), which is what `compose up -d` or `systemctl restart` do.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { editFile, makeProject, removeProject, slipway } from "../e2e/harness";
import { freePort } from "../packages/driver-local/src/system/ports";

interface Sample {
  at: number;
  release: string | null; // null = failed
  error?: string;
}

/** Paced keep-alive load that remembers when each response arrived and from which release. */
export function load(url: string, concurrency = 4, perLoopRps = 25) {
  const samples: Sample[] = [];
  let stop = false;
  const until = Date.now() + 600_000;
  const loop = async () => {
    while (!stop && Date.now() < until) {
      const t0 = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        samples.push(
          res.ok
            ? { at: Date.now(), release: (JSON.parse(body) as { release: string }).release ?? "?" }
            : { at: Date.now(), release: null, error: `${res.status} ${body.slice(0, 120)}` },
        );
      } catch (e) {
        samples.push({ at: Date.now(), release: null, error: String((e as Error).cause ?? e) });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / perLoopRps - (Date.now() - t0))));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    samples,
    async stop() {
      stop = true;
      await Promise.all(loops);
    },
  };
}

/** Seconds from `start` until every later response came from `release`; failures in the window. */
function measure(samples: Sample[], start: number, end: number, release: string) {
  const window = samples.filter((s) => s.at >= start && s.at <= end + 2000);
  const lastOther = window.filter((s) => s.release !== release).reduce((m, s) => Math.max(m, s.at), start);
  return {
    seconds: (lastOther - start) / 1000,
    failed: window.filter((s) => s.release === null).length,
    requests: window.length,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export default async function deployBench({ quick }: { quick: boolean }) {
  const runs = quick ? 3 : 7;
  const dir = makeProject("bench-deploy");
  const port = await freePort();
  try {
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", String(port), "--api-port", "0"]);
    if (up.code !== 0) throw new Error(up.stderr);
    const edge = `http://127.0.0.1:${port}/api/version`;

    // Ours: config-only deploys, so the build is cached and the release job still runs.
    const ours: { seconds: number; cli: number; failed: number; requests: number }[] = [];
    const l = load(edge);
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < runs; i++) {
      editFile(join(dir, "slipway.config.ts"), (t) =>
        t.replace(/GREETING: "[^"]*"/, `GREETING: "bench ${i}"`),
      );
      const start = Date.now();
      const d = await slipway(["deploy", "--dir", dir, "--json"]);
      if (d.code !== 0) throw new Error(d.stderr);
      const end = Date.now();
      const release = `v${(JSON.parse(d.stdout) as { release: number }).release}`;
      await new Promise((r) => setTimeout(r, 1500));
      ours.push({ ...measure(l.samples, start, end, release), cli: (end - start) / 1000 });
    }
    await l.stop();
    const errors = l.samples.filter((s) => s.error).map((s) => s.error);
    if (errors.length) console.log(`slipway: failed requests: ${[...new Set(errors)].join("; ")}`);

    // Reference: the live api process's exact command and environment, restarted in place.
    const status = JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout) as {
      environments: { processes: { service: string; pid: number }[] }[];
    };
    const api = status.environments[0]!.processes.find((p) => p.service === "api")!;
    const environ = Object.fromEntries(
      readFileSync(`/proc/${api.pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    const cwd = (await import("node:fs")).readlinkSync(`/proc/${api.pid}/cwd`);
    const refPort = await freePort();
    const startRef = (n: number) =>
      spawn(process.execPath, ["api.mjs"], {
        cwd,
        env: { ...environ, PORT: String(refPort), SLIPWAY_RELEASE: `r${n}` },
        stdio: "ignore",
      });
    const healthy = async () => {
      for (let i = 0; i < 200; i++) {
        if (
          await fetch(`http://127.0.0.1:${refPort}/healthz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    let child = startRef(0);
    await healthy();
    const ref: { seconds: number; failed: number; requests: number }[] = [];
    const rl = load(`http://127.0.0.1:${refPort}/api/version`);
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 1; i <= runs; i++) {
      const start = Date.now();
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      child = startRef(i);
      await healthy();
      const end = Date.now();
      await new Promise((r) => setTimeout(r, 1500));
      ref.push(measure(rl.samples, start, end, `r${i}`));
    }
    await rl.stop();
    child.kill("SIGTERM");

    const row = (name: string, xs: { seconds: number; failed: number; requests: number }[]) =>
      `${name.padEnd(34)} ${median(xs.map((x) => x.seconds))
        .toFixed(2)
        .padStart(14)} ${String(xs.reduce((n, x) => n + x.failed, 0)).padStart(
        16,
      )} ${String(xs.reduce((n, x) => n + x.requests, 0)).padStart(10)}`;
    console.log(`\ndeploy under steady load (~100 req/s, keep-alive), ${runs} deploys each, medians`);
    console.log(
      `${"".padEnd(34)} ${"to 100% new (s)".padStart(14)} ${"failed requests".padStart(16)} ${"requests".padStart(10)}`,
    );
    console.log(row("slipway deploy (build cached)", ours));
    console.log(row("in-place restart (stop → start)", ref));
    console.log(
      `slipway deploy command, start to exit (median): ${median(ours.map((o) => o.cli)).toFixed(2)} s`,
    );
    return {
      deploy_s: median(ours.map((o) => o.seconds)).toFixed(2),
      deploy_cli_s: median(ours.map((o) => o.cli)).toFixed(2),
      failed_requests: ours.reduce((n, o) => n + o.failed, 0),
      restart_s: median(ref.map((o) => o.seconds)).toFixed(2),
      restart_failed_requests: ref.reduce((n, o) => n + o.failed, 0),
    };
  } finally {
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  }
}
