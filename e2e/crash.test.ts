import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  getJson,
  makeProject,
  processesUnder,
  removeProject,
  slipway,
  startLoad,
} from "./harness";

/**
 * kill -9 of the control plane in the middle of a deploy: the stack keeps serving, and the
 * next control plane adopts every process and finishes the rollout from the store.
 */
describe("control plane killed mid-deploy", () => {
  let dir: string;
  const port = 18280;
  const edge = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    dir = makeProject("crash");
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", String(port), "--api-port", "0"]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  });

  it("converges after restart: v2 goes live once, nothing is duplicated, the stack keeps serving", async () => {
    const serverFile = join(dir, ".slipway", "server.json");
    const { pid, url } = JSON.parse(readFileSync(serverFile, "utf8")) as { pid: number; url: string };
    const token = (
      JSON.parse(readFileSync(join(dir, ".slipway", "credentials.json"), "utf8")) as { token: string }
    ).token;
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 20 });

    editFile(join(dir, "slipway.config.ts"), (t) => t.replace(/hello from v1/g, "hello from v2"));
    const started = await getJson<{ rollout: { id: string } }>(`${url}/v1/environments/local/deploys`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    // Kill it once the new release's processes are being started.
    await eventually(async () => {
      const r = await getJson<{ rollout: { phase: string } }>(`${url}/v1/rollouts/${started.rollout.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ["starting", "switching", "draining"].includes(r.rollout.phase);
    });
    process.kill(pid, "SIGKILL");
    expect((await getJson<{ release: string }>(`${edge}/api/version`)).release).toMatch(/^v[12]$/);

    const again = await slipway(["up", "--detach", "--dir", dir, "--port", String(port), "--api-port", "0"]);
    expect(again.code, again.stderr).toBe(0);
    await eventually(
      async () => (await getJson<{ release: string }>(`${edge}/api/version`)).release === "v2",
      60_000,
    );
    const status = await eventually(async () => {
      const s = JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout) as {
        environments: { rollout: unknown; processes: { service: string; release: number }[] }[];
      };
      return s.environments[0]!.rollout === null ? s : undefined;
    }, 60_000);
    // Requests keep being served through the crash (the edge and the services never stop);
    // an occasional single failure around the restart is a known open issue (see the issue
    // note), so this test asserts convergence, not zero failures — ship.test.ts does that.
    const report = await load.stop();
    expect(report.sent - report.failed).toBeGreaterThan(report.sent * 0.99);

    const procs = status.environments[0]!.processes;
    expect(procs.every((p) => p.release === 2)).toBe(true);
    expect(procs.filter((p) => p.service === "api")).toHaveLength(1);
    // One OS process per recorded process: nothing orphaned by the crash.
    expect(processesUnder(dir).filter((p) => p.cmd.includes("api.mjs"))).toHaveLength(1);
    const jobs = await getJson<{ release: string }[]>(`${edge}/api/release-jobs`);
    expect(jobs.filter((j) => j.release === "v2")).toHaveLength(1);
  });
});
