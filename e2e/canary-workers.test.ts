import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  slipway,
  startLoad,
  upDetached,
} from "./harness";

interface Timeline {
  rollout: { id: string; phase: string; error: { code: string; message: string } | null };
  judgements: { weight: number; verdict: string; action: string; reason: string }[];
  events: { kind: string; message: string }[];
}

interface Status {
  environments: { name: string; processes: { service: string; release: number | null; state: string }[] }[];
}

/**
 * Worker canaries on the example stack, with steady web load and jobs enqueued steadily.
 * Given `local` released as a canary (50% then 100%) and a worker of three replicas that
 * reports each job through the SDK's jobs(); when a release is deployed whose worker fails
 * every job (the shop worker's FAULT_JOB_FAIL_PERCENT), or a healthy one; then the failing
 * one is rolled back by the judge on its job numbers, the healthy one goes to 100%, and in
 * both the stable worker gives the canary its share of the queue (3 → 1 replicas at 50%)
 * and, after the rollback, runs all three again.
 */
describe("worker canaries under load", () => {
  let dir: string;
  let edge: string;
  let api: string;
  let admin: string;
  let release = 1;
  const as = () => ({ env: { ...process.env, SLIPWAY_TOKEN: admin } });
  const cli = (args: string[]) => slipway([...args, "--dir", dir], as());
  const get = <T>(path: string) =>
    getJson<T>(`${api}${path}`, { headers: { authorization: `Bearer ${admin}` } });
  const timeline = () => get<Timeline>("/v1/environments/local/rollout");

  /** The stable worker's processes that take jobs now (not draining), of release `n`. */
  async function workersOf(n: number): Promise<number> {
    const s = await get<Status>("/v1/status");
    const local = s.environments.find((e) => e.name === "local")!;
    return local.processes.filter((p) => p.service === "worker" && p.release === n && p.state !== "draining")
      .length;
  }

  /** The number of the release serving now (after a rollback, not the newest). */
  const liveRelease = async () =>
    Number((await getJson<{ release: string }>(`${edge}/api/version`)).release.slice(1));

  /** The next release: a new greeting, and the worker's fault knob. */
  function nextRelease(failPercent = 0) {
    release++;
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t
        .replace(/GREETING: "[^"]*"/, `GREETING: "hello from v${release}"`)
        .replace(
          /env: \{ WORKER_CONCURRENCY: [^}]*\}/,
          `env: { WORKER_CONCURRENCY: "2", FAULT_JOB_FAIL_PERCENT: "${failPercent}" }`,
        ),
    );
  }

  /** Enqueues `perSecond` jobs a second through the edge until stopped; counts refused enqueues. */
  function enqueueSteadily(perSecond: number) {
    let stopping = false;
    let refused = 0;
    let sent = 0;
    const loop = (async () => {
      while (!stopping) {
        const t0 = Date.now();
        sent++;
        const res = await fetch(`${edge}/api/jobs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ n: sent }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
        if (res?.status !== 202) refused++;
        await res?.text();
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 / perSecond - (Date.now() - t0))));
      }
    })();
    return {
      async stop() {
        stopping = true;
        await loop;
        return { sent, refused };
      },
    };
  }

  /**
   * Deploys under web load and steady jobs, watching the `stable` release's workers while the
   * rollout runs; returns the CLI's result, the stable workers seen while analysing, and the timeline.
   */
  async function deployUnderLoad(stable: number) {
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 180 });
    const jobs = enqueueSteadily(10);
    const seen = new Set<number>();
    const samples: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const t = await timeline().catch(() => undefined);
        if (t?.rollout.phase === "analyzing") {
          const n = await workersOf(stable);
          seen.add(n);
          samples.push(`${t.judgements.at(-1)?.weight ?? "-"}%:${n}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const deploy = await cli(["deploy", "--env", "local"]);
    watching = false;
    await watch;
    const enqueued = await jobs.stop();
    const report = await load.stop();
    return { deploy, seen, samples, enqueued, report, timeline: await timeline() };
  }

  beforeAll(async () => {
    dir = makeProject("canary-workers");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(`queue: "jobs",`, `queue: "jobs",\n      scale: { min: 3, max: 3 },`).replace(
        "    local: {},",
        `    local: {
      strategy: {
        kind: "canary",
        steps: [
          { weight: 50, holdMinutes: 0.05, holdRequests: 100 },
          { weight: 100, holdMinutes: 0, holdRequests: 0 },
        ],
        analysis: {
          maxErrorRate: 0.05,
          minRequests: 30,
          latency: { quantile: 0.95, budgetMs: 2000 },
          jobs: { maxFailureRate: 0.05, minJobs: 10 },
        },
      },
    },`,
      ),
    );
    const up = await upDetached(dir);
    edge = up.edge;
    api = up.api;
    admin = up.token!;
    expect(await workersOf(1)).toBe(3);
  }, 240_000);

  afterAll(async () => {
    await finishProject(dir);
  }, 120_000);

  it("a job report needs the worker's own token and names what is wrong", async () => {
    const post = (service: string, body: unknown, token?: string) =>
      fetch(`${api}/v1/environments/local/releases/1/jobs/${service}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await post("worker", { completed: [1] })).status).toBe(401);
    expect((await post("worker", { completed: [1] }, "slwj_not-the-token")).status).toBe(401);
    const notWorker = await post("rates", { completed: [1] }, admin);
    expect(notWorker.status).toBe(404);
    expect(await notWorker.text()).toMatch(/v1 has no worker named .*rates/);
    const bad = await post("worker", { completed: ["fast"] }, admin);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/completed/);
  });

  it("a worker that fails every job is rolled back on its job numbers; the stable worker shrinks to its share and comes back", async () => {
    const live = await liveRelease();
    nextRelease(100);
    const { deploy, seen, enqueued, report, timeline: t } = await deployUnderLoad(live);

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/SLW_CANARY_ROLLED_BACK/);
    expect(t.rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    // The judgement names the worker and its job numbers.
    expect(t.rollout.error?.message).toMatch(/worker: canary worse: .*failed jobs \d+\/\d+ = 100\.00%/);
    expect(t.judgements.at(-1)).toMatchObject({ action: "roll-back", verdict: "rollback", weight: 50 });
    // At 50% the canary ran 2 of the 3 workers, so the stable revision kept 1, never none.
    expect(Math.min(...seen)).toBe(1);
    expect(t.events.some((e) => e.kind === "rollout.stable-scaled" && /leave/.test(e.message))).toBe(true);
    // After the rollback the stable worker runs all its replicas again, and the canary's none.
    await eventually(async () => (await workersOf(live)) === 3, 60_000);
    expect(await workersOf(release)).toBe(0);
    expect(t.events.some((e) => e.kind === "rollout.stable-scaled" && /takes back/.test(e.message))).toBe(
      true,
    );
    // Nobody saw it: every enqueue and every web request through the stable revision succeeded.
    expect(enqueued.refused).toBe(0);
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
  }, 300_000);

  it("a healthy worker canary is judged on its jobs and takes the whole queue", async () => {
    const live = await liveRelease();
    nextRelease(0);
    const { deploy, seen, samples, report, timeline: t } = await deployUnderLoad(live);

    expect(deploy.code, deploy.stderr).toBe(0);
    expect(t.rollout.phase).toBe("succeeded");
    expect(t.judgements.filter((j) => j.action === "set-weight").map((j) => j.weight)).toEqual([50, 100]);
    // The step from 50% to 100% was judged on the worker's jobs as well as the api's requests.
    const advanced = t.judgements.find((j) => j.action === "set-weight" && j.weight === 100);
    expect(advanced?.reason).toMatch(/every service within limits: .*worker/);
    // 1 at 50%; at 100% (before the switch) the canary runs all 3 and stable none.
    expect(seen, `${samples.join(" ")} | ${t.events.map((e) => e.message).join(" | ")}`).toContain(1);
    await eventually(async () => (await workersOf(release)) === 3 && (await workersOf(live)) === 0, 60_000);
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
  }, 300_000);
});
