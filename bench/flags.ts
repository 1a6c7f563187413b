// `npm run bench -- flags [--quick]`: a flag change through the control plane's API until
// each of N running processes using @slipway/runtime sees it (over the real SSE stream of a
// real `slipway up` of the example stack): p50/p99 propagation. Then the SDK's evaluation
// cost per call next to a plain object lookup (the reference: what reading a config value
// costs), same process, same run. Target (issue 10): p99 propagation ≤ 1 s.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { makeProject, REPO, removeProject, slipway } from "../e2e/harness";
import { flags } from "../packages/runtime/src/index";

const SDK = join(REPO, "examples", "shop", "lib", "slipway-runtime.mjs");
const FLAG = "new-checkout";

/** A process that follows the stream and prints the wall time (ms) each time the flag flips. */
const WATCHER = `
import { flags } from ${JSON.stringify(SDK)};
const f = flags({ url: process.env.URL, token: process.env.TOKEN });
await f.ready();
console.log("ready " + f.isOn(${JSON.stringify(FLAG)}));
f.onChange(() => console.log("seen " + f.isOn(${JSON.stringify(FLAG)}) + " " + (performance.timeOrigin + performance.now())));
`;

interface Watcher {
  child: ChildProcess;
  seen: { value: boolean; at: number }[];
  ready: Promise<void>;
}

function watch(url: string, token: string): Watcher {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WATCHER], {
    env: { PATH: process.env.PATH, URL: url, TOKEN: token },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const seen: Watcher["seen"] = [];
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const [kind, value, at] = line.split(" ");
    if (kind === "ready") markReady();
    else if (kind === "seen") seen.push({ value: value === "true", at: Number(at) });
  });
  return { child, seen, ready };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

export default async function flagsBench({ quick }: { quick: boolean }): Promise<Record<string, number>> {
  const processes = quick ? 10 : 50;
  const changes = quick ? 10 : 40;
  const dir = makeProject("bench-flags");
  const watchers: Watcher[] = [];
  try {
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
    if (up.code !== 0) throw new Error(up.stderr);
    const { controlPlane: api, adminToken: token } = JSON.parse(up.stdout) as {
      controlPlane: string;
      adminToken: string;
    };
    const streamUrl = `${api}/v1/environments/local/flags/stream`;
    for (let i = 0; i < processes; i++) watchers.push(watch(streamUrl, token));
    await Promise.all(watchers.map((w) => w.ready));

    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      const on = i % 2 === 0;
      const t0 = performance.timeOrigin + performance.now();
      const res = await fetch(`${api}/v1/environments/local/flags/${FLAG}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ on }),
      });
      if (!res.ok) throw new Error(`flag set → ${res.status} ${await res.text()}`);
      // Bounded wait for every process to report this change (arrival, then its time).
      for (let n = 0; n < 1000 && watchers.some((w) => w.seen.length <= i); n++)
        await new Promise((r) => setTimeout(r, 5));
      for (const w of watchers) {
        const s = w.seen[i];
        if (!s || s.value !== on) throw new Error(`a process did not see change ${i + 1} (on=${on})`);
        latencies.push(s.at - t0);
      }
    }

    const e = await evaluationCost(streamUrl, token, quick);
    const p50 = pct(latencies, 50);
    const p99 = pct(latencies, 99);
    console.log(`\nflag change → seen by ${processes} processes (SDK over SSE), ${changes} changes`);
    console.log(
      `  propagation p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${Math.max(...latencies).toFixed(1)} ms   (target p99 ≤ 1000 ms)`,
    );
    console.log("\nevaluation per call, same process");
    console.log(`  plain object lookup (reference)        ${e.lookup.toFixed(1)} ns`);
    console.log(`  SDK isOn, flag simply on               ${e.on.toFixed(1)} ns`);
    console.log(
      `  SDK isOn, 50% rollout by user (hash)   ${e.rollout.toFixed(1)} ns   (${(e.rollout / e.lookup).toFixed(0)}× the lookup)`,
    );
    return {
      processes,
      changes,
      propagation_p50_ms: Number(p50.toFixed(1)),
      propagation_p99_ms: Number(p99.toFixed(1)),
      eval_ns: Math.round(e.rollout),
      eval_on_ns: Math.round(e.on),
      lookup_ns: Number(e.lookup.toFixed(1)),
    };
  } finally {
    for (const w of watchers) w.child.kill();
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  }
}

/** ns per call of the SDK's isOn (with a live snapshot) and of a plain object lookup. */
async function evaluationCost(url: string, token: string, quick: boolean) {
  const put = (body: unknown, name: string) =>
    fetch(`${url.replace(/\/stream$/, "")}/${name}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await put({ on: true, percent: 50 }, FLAG);
  await put({ on: true }, "quotes-off");
  const f = flags({ url, token });
  await f.ready();
  for (let n = 0; n < 1000 && f.evaluate(FLAG, "u").source !== "stream"; n++)
    await new Promise((r) => setTimeout(r, 5));
  const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
  const config: Record<string, boolean> = { [FLAG]: true, "quotes-off": true };
  const calls = quick ? 200_000 : 2_000_000;
  const time = (fn: (i: number) => boolean) => {
    let sink = 0;
    for (let i = 0; i < calls / 10; i++) sink += fn(i) ? 1 : 0; // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += fn(i) ? 1 : 0;
    const ns = Number(process.hrtime.bigint() - t0) / calls;
    return sink < 0 ? 0 : ns;
  };
  const result = {
    lookup: time((i) => config[i & 1 ? FLAG : "quotes-off"] === true),
    on: time(() => f.isOn("quotes-off")),
    rollout: time((i) => f.isOn(FLAG, keys[i & 1023])),
  };
  f.close();
  return result;
}
