import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  downCleanly,
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  type UpResult,
  upDetached,
} from "./harness";

/**
 * Day two on one machine: the stack comes back after `down` and after a reboot, a failed
 * deploy leaves nothing of itself running, and long-lived connections never hold a deploy.
 */

async function releasesOf(dir: string): Promise<{ number: number }[]> {
  const r = await slipway(["releases", "--dir", dir, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { number: number }[];
}

describe("the daily cycle: up → down → up, and a reboot", () => {
  let dir: string;
  let edge: string;

  beforeAll(async () => {
    dir = makeProject("daily");
  });
  afterAll(() => finishProject(dir));

  it("brings the same release back after down, serving before `up` returns, data intact", async () => {
    // --port 0: a free port the first time, the same one on every `up` after.
    edge = (await upDetached(dir)).edge;
    const v1 = await getJson<{ release: string }>(`${edge}/api/version`);
    const item = await getJson<{ id: number }>(`${edge}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "written before down" }),
    });
    await downCleanly(dir);

    expect((await upDetached(dir)).edge).toBe(edge);
    // "up" means serving: no retry loop here.
    expect(await getJson<{ release: string }>(`${edge}/api/version`)).toMatchObject({ release: v1.release });
    const items = await getJson<{ id: number; name: string }[]>(`${edge}/api/items`);
    expect(items.map((i) => i.id)).toContain(item.id);
    // Same release: no new release, and its release job did not run again.
    expect((await releasesOf(dir)).map((r) => r.number)).toEqual([1]);
    expect(await getJson<unknown[]>(`${edge}/api/release-jobs`)).toHaveLength(1);
  });

  it("after every process of the stack is killed (a reboot), up serves again with the data", async () => {
    const before = await getJson<{ id: number }[]>(`${edge}/api/items`);
    const killed = processesUnder(dir);
    // The control plane, Postgres, Redis, s3rver, HAProxy and every service.
    expect(killed.length).toBeGreaterThanOrEqual(8);
    for (const p of killed) process.kill(p.pid, "SIGKILL");
    await eventually(async () => processesUnder(dir).length === 0);

    expect((await upDetached(dir)).edge).toBe(edge);
    const items = await getJson<{ id: number }[]>(`${edge}/api/items`);
    expect(items.map((i) => i.id)).toEqual(before.map((i) => i.id));
    expect((await releasesOf(dir)).map((r) => r.number)).toEqual([1]);
    expect(await getJson<unknown[]>(`${edge}/api/release-jobs`)).toHaveLength(1);
    // The queue works again too (Redis and the worker came back).
    const job = await getJson<{ id: string }>(`${edge}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 7 }),
    });
    await eventually(async () => {
      const j = await getJson<{ state: string }>(`${edge}/api/jobs/${job.id}`);
      return j.state === "completed";
    });
    await downCleanly(dir);
  });
});

describe("a failed deploy leaves nothing of itself running", () => {
  let dir: string;
  let edge: string;

  beforeAll(async () => {
    dir = makeProject("failed");
    edge = (await upDetached(dir)).edge;
  });
  afterAll(async () => {
    await finishProject(dir);
  });

  it("stops every process of the failed release before saying it failed; only the live worker takes jobs", async () => {
    const live = await getJson<{ release: string }>(`${edge}/api/version`);
    // The api, worker and web of v2 start; rates cannot (its command does not exist).
    editFile(join(dir, "slipway.config.ts"), (s) =>
      s.replace('command: ["node", "rates.mjs"]', 'command: ["no-such-command-here"]'),
    );
    const deploy = await slipway(["deploy", "--dir", dir]);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toMatch(/no-such-command-here/);

    const status = JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout) as {
      environments: { rollout: unknown; processes: { release: number; pid: number | null }[] }[];
    };
    const env = status.environments[0]!;
    expect(env.rollout).toBeNull();
    expect(env.processes.map((p) => p.release)).toEqual(env.processes.map(() => 1));
    expect(env.processes.every((p) => p.pid !== null)).toBe(true);
    // One worker process on the machine: the live release's.
    expect(processesUnder(dir).filter((p) => p.cmd.includes("worker.mjs"))).toHaveLength(1);

    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const job = await getJson<{ id: string }>(`${edge}/api/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ n }),
      });
      ids.push(job.id);
    }
    const results = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const j = await getJson<{ state: string; result: { release: string } | null }>(
            `${edge}/api/jobs/${id}`,
          );
          return j.state === "completed" && j.result;
        }),
      ),
    );
    expect(results.map((r) => r?.release)).toEqual(ids.map(() => live.release));
  });
});

describe("long-lived connections and draining", () => {
  let dir: string;
  let edge: string;
  let api: string;
  let token: string;

  beforeAll(async () => {
    dir = makeProject("drain");
    // A drain budget of 10 s: in-flight requests get 5 s, then SIGTERM, SIGKILL at 10 s.
    editFile(join(dir, "slipway.config.ts"), (s) =>
      s.replace('health: { path: "/healthz" },', 'health: { path: "/healthz" },\n      drainSeconds: 10,'),
    );
    ({ edge, api, token } = (await upDetached(dir)) as Required<UpResult>);
  });
  afterAll(async () => {
    await finishProject(dir);
  });

  it("a deploy is live without waiting for a WebSocket; the old revision closes it cleanly; a slow request finishes", async () => {
    const ws = new WebSocket(`${edge.replace("http", "ws")}/api/live`);
    const firstMessage = new Promise<{ release: string }>((r) =>
      ws.once("message", (m) => r(JSON.parse(String(m)))),
    );
    const closed = new Promise<{ code: number; at: number }>((r) =>
      ws.once("close", (code) => r({ code, at: Date.now() })),
    );
    const v1 = await firstMessage;
    const slow = fetch(`${edge}/api/slow?ms=7000`).then(async (res) => ({
      status: res.status,
      body: await res.json(),
    }));

    editFile(join(dir, "slipway.config.ts"), (s) => s.replace("hello from v1", "hello from v2"));
    const deploy = await slipway(["deploy", "--dir", dir]);
    const deployedAt = Date.now();
    expect(deploy.code, deploy.stderr).toBe(0);

    // Live, and the previous revision still draining: shown as such.
    const status = await getJson<{
      environments: { live: { release: number }; processes: { id: string; state: string }[] }[];
    }>(`${api}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.environments[0]!.live.release).toBe(2);
    expect(status.environments[0]!.processes).toContainEqual(
      expect.objectContaining({ id: "local/v1/api/1", state: "draining" }),
    );
    expect(await getJson<{ greeting: string }>(`${edge}/api/version`)).toMatchObject({
      greeting: "hello from v2",
    });

    // The WebSocket is closed by the old revision itself (1001 going away), after the deploy returned.
    const close = await closed;
    expect(close.code).toBe(1001);
    expect(close.at).toBeGreaterThan(deployedAt);
    expect(await slow).toEqual({ status: 200, body: { waited: 7000, release: v1.release } });

    // A reconnecting client lands on the live release.
    const again = new WebSocket(`${edge.replace("http", "ws")}/api/live`);
    const hello = await new Promise<{ release: string }>((r) =>
      again.once("message", (m) => r(JSON.parse(String(m)))),
    );
    expect(hello.release).not.toBe(v1.release);
    again.close();

    // The old revision is gone, and out of the edge.
    await eventually(async () => processesUnder(dir).filter((p) => p.cmd.includes("api.mjs")).length === 1);
    await eventually(async () => {
      const s = await getJson<{ environments: { processes: { id: string }[] }[] }>(`${api}/v1/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return !s.environments[0]!.processes.some((p) => p.id.startsWith("local/v1/"));
    });
  });
});
