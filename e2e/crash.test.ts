import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  startLoad,
} from "./harness";

/**
 * kill -9 of the control plane at every step of a deploy: during the build, with the release
 * job running, right after the new processes were spawned, between recording the switch and
 * applying it to the edge, and while the old release drains. Each time the stack keeps
 * serving without a failed request, and the next control plane finishes the rollout from the
 * store: the release goes live once, its job ran once, nothing is duplicated or orphaned,
 * the add-ons are the same processes.
 *
 * The crash points are the control plane's own (SLIPWAY_FAULT, see server/src/faults.ts), so
 * each kill lands exactly where it says, every run.
 */
const CRASH_POINTS = [
  ["building", "build:progress"],
  ["the release job launched, its pid not yet recorded", "job:pid-unrecorded"],
  ["the release job running", "after:run-release-job"],
  ["a new process spawned, its pid not yet recorded", "spawned:pid-unrecorded"],
  ["the new processes just spawned", "after:start-target"],
  ["the switch recorded, the edge not yet told", "switch:recorded"],
  ["the old release draining", "drain:terminating"],
] as const;

interface Status {
  environments: {
    rollout: unknown;
    live: { release: number };
    processes: { service: string; release: number; state: string }[];
    addons: { name: string; pid: number }[];
  }[];
}

describe("control plane killed at every step of a deploy", () => {
  let dir: string;
  let edge: string;
  const serverFile = () => join(dir, ".slipway", "server.json");
  const controlPlane = () => JSON.parse(readFileSync(serverFile(), "utf8")) as { pid: number; url: string };
  const token = () =>
    (JSON.parse(readFileSync(join(dir, ".slipway", "credentials.json"), "utf8")) as { token: string }).token;
  const authed = () => ({ headers: { authorization: `Bearer ${token()}` } });
  const alive = (pid: number) => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
    } catch {
      return false;
    }
  };
  const status = async () => getJson<Status>(`${controlPlane().url}/v1/status`, authed());

  async function up(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const r = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"], {
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    edge = (JSON.parse(r.stdout) as { environment: { url: string } }).environment.url;
  }

  beforeAll(async () => {
    dir = makeProject("crash");
    await up();
  });

  afterAll(() => finishProject(dir));

  let release = 1;
  for (const [when, point] of CRASH_POINTS) {
    it(`converges after a kill -9 with ${when}`, async () => {
      // The control plane again, armed to die at `point`; the stack is adopted as it runs.
      const before = controlPlane();
      process.kill(before.pid, "SIGTERM");
      await eventually(async () => !alive(before.pid));
      await up({ ...process.env, SLIPWAY_FAULT: point });
      const addonPids = (await status()).environments[0]!.addons.map((a) => a.pid);
      const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 20 });

      release++;
      // A code change (a new build) and a config change (visible in the answer).
      writeFileSync(join(dir, "crash-marker.txt"), `${point}\n`);
      editFile(join(dir, "slipway.config.ts"), (t) =>
        t.replace(/hello from v\d+/g, `hello from v${release}`),
      );
      const { pid, url } = controlPlane();
      const started = await getJson<{ rollout: { id: string } }>(`${url}/v1/environments/local/deploys`, {
        method: "POST",
        headers: { ...authed().headers, "content-type": "application/json" },
        body: "{}",
      });
      await eventually(async () => !alive(pid), 60_000);

      await up();
      const rollout = await eventually(async () => {
        const r = await getJson<{ rollout: { phase: string } }>(
          `${controlPlane().url}/v1/rollouts/${started.rollout.id}`,
          authed(),
        );
        return r.rollout.phase === "succeeded" || r.rollout.phase === "failed" ? r.rollout : undefined;
      }, 90_000);
      expect(rollout.phase).toBe("succeeded");
      expect(await getJson<{ greeting: string }>(`${edge}/api/version`)).toMatchObject({
        greeting: `hello from v${release}`,
      });
      // The old release drains and goes: one process per service, all of the new release.
      const settled = await eventually(async () => {
        const s = (await status()).environments[0]!;
        return s.rollout === null && s.processes.every((p) => p.release === release) ? s : undefined;
      }, 60_000);
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.sent).toBeGreaterThan(0);

      expect(settled.live.release).toBe(release);
      expect(settled.processes.map((p) => p.service).sort()).toEqual(["api", "rates", "web", "worker"]);
      for (const script of ["api.mjs", "rates.mjs", "web.mjs", "worker.mjs"])
        await eventually(async () => processesUnder(dir).filter((p) => p.cmd.includes(script)).length === 1);
      expect(settled.addons.map((a) => a.pid)).toEqual(addonPids);
      const jobs = await getJson<{ release: string }[]>(`${edge}/api/release-jobs`);
      expect(jobs.filter((j) => j.release === `v${release}`)).toHaveLength(1);
      const releases = JSON.parse((await slipway(["releases", "--dir", dir, "--json"])).stdout) as unknown[];
      expect(releases).toHaveLength(release);
    });
  }
});
