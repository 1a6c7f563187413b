import { openStore, type Store } from "@slipway/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CronPorts, CronScheduler, type RunOutcome } from "../src/cron/scheduler";

// The scheduler one tick at a time, with an injected clock and a real (in-memory) store; the
// process side is a stand-in that records launches and reports outcomes as the test says.
let store: Store;
let environmentId: string;
let releaseId: string;
const t0 = Date.parse("2026-01-01T00:00:00.300Z");

beforeAll(async () => {
  store = await openStore();
  const stackId = await store.environments.upsertStack("shop", "/tmp/shop");
  environmentId = (await store.environments.ensure(stackId, "local")).id;
  await store.releases.upsertBuild({
    id: "b1",
    stackId,
    source: "working tree",
    gitSha: null,
    dir: "/tmp/b1",
  });
  releaseId = (
    await store.releases.createRelease({
      environmentId,
      buildId: "b1",
      config: { services: {}, routes: [] },
      configHash: "x",
      description: "test",
      rollbackOf: null,
      jobStatus: "none",
    })
  ).id;
});
afterAll(() => store.close());

/** Each run's outcome, as its runner would leave it; shared, like the store, by every test. */
const outcomes = new Map<string, RunOutcome>();

/** A world for one service: a clock, the launches made and the events. */
function world(service: string, schedule = "*/10 * * * * *") {
  const w = {
    now: t0,
    launches: [] as string[],
    outcomes,
    events: [] as string[],
    scheduler: (): CronScheduler => new CronScheduler(ports),
  };
  let pid = 1000;
  const ports: CronPorts = {
    runs: store.cronRuns,
    targets: async () => [{ environmentId, environment: "local", releaseId, release: 1, service, schedule }],
    launch: async (run) => {
      w.launches.push(run.slot);
      w.outcomes.set(run.id, { state: "running", pid: ++pid });
      return pid;
    },
    outcome: (run) => w.outcomes.get(run.id) ?? { state: "not-started" },
    event: async (e) => {
      w.events.push(`${e.kind} ${e.message}`);
    },
    now: () => w.now,
  };
  return w;
}

const at = (seconds: number) => t0 - 300 + seconds * 1000;

describe("CronScheduler", () => {
  it("runs each due slot once, records the exit code, and says so in events", async () => {
    const w = world("report");
    const s = w.scheduler();
    await s.tick(); // 00:00:00.3 — the service appears: slots count from now
    expect(w.launches).toEqual([]);
    w.now = at(10);
    await s.tick();
    await s.tick(); // same slot again: nothing
    expect(w.launches).toEqual(["2026-01-01T00:00:10.000Z"]);
    const run = (await store.cronRuns.latest(environmentId, "report"))!;
    expect(run).toMatchObject({ state: "running", pid: 1001 });

    w.outcomes.set(run.id, { state: "exited", code: 3 });
    w.now = at(12);
    await s.tick();
    expect(await store.cronRuns.get(run.id)).toMatchObject({ state: "failed", exitCode: 3 });
    expect(w.events).toEqual([
      "cron.run.started report: run for 2026-01-01T00:00:10.000Z starting (v1)",
      "cron.run.failed report: the run for 2026-01-01T00:00:10.000Z exited with 3 in 2.0 s",
    ]);
  });

  it("skips a slot while the previous run still goes, and records the skip", async () => {
    const w = world("slow");
    const s = w.scheduler();
    await s.tick();
    w.now = at(10);
    await s.tick();
    w.now = at(20); // the 00:10 run is still going
    await s.tick();
    expect(w.launches).toEqual(["2026-01-01T00:00:10.000Z"]);
    expect((await store.cronRuns.latest(environmentId, "slow"))!).toMatchObject({
      slot: "2026-01-01T00:00:20.000Z",
      state: "skipped",
    });
    expect(w.events.at(-1)).toBe(
      "cron.run.skipped slow: skipped the run for 2026-01-01T00:00:20.000Z: the previous run is still going",
    );
  });

  it("after a crash, a new control plane neither runs a slot again nor loses a claimed run", async () => {
    const w = world("crashy");
    const first = w.scheduler();
    await first.tick();
    w.now = at(10);
    await first.tick();
    expect(w.launches).toHaveLength(1);

    // A second control plane (same store) at the same instant: the slot is claimed already.
    const second = w.scheduler();
    await second.tick();
    expect(w.launches).toHaveLength(1);

    // Killed between claiming the next slot and spawning it: the row says "starting", no pid.
    w.outcomes.set((await store.cronRuns.latest(environmentId, "crashy"))!.id, { state: "exited", code: 0 });
    await store.cronRuns.claim({
      id: "local/cron/crashy/2026-01-01T00:00:20.000Z",
      environmentId,
      releaseId,
      service: "crashy",
      slot: "2026-01-01T00:00:20.000Z",
      state: "starting",
      at: new Date(at(20)).toISOString(),
    });
    w.now = at(21);
    const third = w.scheduler();
    await third.tick(); // its runner never got going: started now, once
    await third.tick();
    expect(w.launches).toEqual(["2026-01-01T00:00:10.000Z", "2026-01-01T00:00:20.000Z"]);
    expect(await store.cronRuns.get("local/cron/crashy/2026-01-01T00:00:20.000Z")).toMatchObject({
      state: "running",
    });
  });

  it("records a run whose runner vanished as unknown, and does not re-run it", async () => {
    const w = world("lost");
    const s = w.scheduler();
    await s.tick();
    w.now = at(10);
    await s.tick();
    const run = (await store.cronRuns.latest(environmentId, "lost"))!;
    w.outcomes.set(run.id, { state: "unknown" });
    w.now = at(11);
    await s.tick();
    expect(await store.cronRuns.get(run.id)).toMatchObject({ state: "unknown", exitCode: null });
    expect(w.launches).toHaveLength(1);
  });

  it("runs once, for the latest slot, after a long outage", async () => {
    const w = world("daily", "0 3 * * *");
    const s = w.scheduler();
    await s.tick();
    w.now = Date.parse("2026-01-05T12:00:00Z");
    await s.tick();
    expect(w.launches).toEqual(["2026-01-05T03:00:00.000Z"]);
  });
});
