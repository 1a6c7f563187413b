import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_JUDGE_POLICY,
  type Judged,
  type ReleaseConfig,
  type RolloutCommand,
  type RolloutStrategy,
  type ServiceConfig,
  SlipwayError,
} from "@slipway/core";
import { FakeClock, FakeWorld, fakeDriver } from "@slipway/driver-fake";
import { type JobCountRow, openStore, type Store } from "@slipway/store";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../api/app";
import type { Operations } from "../api/routes";
import { registerRolloutRoutes } from "../api/routes-rollout";
import type { Ctx } from "../context";
import { Drainer } from "../environment/drainer";
import { ensureEdge } from "../environment/edge";
import { adoptProcesses } from "../environment/processes";
import { statePaths } from "../paths";
import { SecretBox } from "../secret-box";
import { masterKeyProvider } from "../secrets/master-key";
import { secretVault } from "../secrets/vault";
import { rolloutControls } from "./controls";
import { GIVE_UP_MS, RolloutExecutor } from "./executor";

/**
 * The rollout loop, one tick at a time, against the in-memory fake driver and an in-memory
 * store: no process runs and nothing sleeps; time moves only when a tick says to wait.
 */

const service = (type: ServiceConfig["type"], extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
  type,
  command: ["node", `${type}.js`],
  env: {},
  replicas: 0,
  uses: [],
  calls: [],
  drainSeconds: 5,
  ...extra,
});
const HEALTH_TIMEOUT_S = 30;
const CONFIG: ReleaseConfig = {
  services: {
    web: service("web", {
      replicas: 2,
      health: { kind: "http", path: "/healthz", intervalSeconds: 1, timeoutSeconds: HEALTH_TIMEOUT_S },
    }),
    worker: service("worker", { replicas: 1 }),
    migrate: service("release"),
  },
  routes: [{ path: "/", service: "web" }],
  addons: {},
};
/** What a release of CONFIG runs: two web replicas and a worker. */
const processesOf = (env: string, v: number) => [
  `${env}/v${v}/web/1`,
  `${env}/v${v}/web/2`,
  `${env}/v${v}/worker/1`,
];
/** The live release the tests deploy over: one web process, no release job (fewer ticks to get there). */
const V1: ReleaseConfig = { ...CONFIG, services: { web: { ...CONFIG.services.web!, replicas: 1 } } };

let store: Store;
let dir: string;
let stackId: string;
let box: SecretBox;
let environments = 0;

beforeAll(async () => {
  store = await openStore();
  dir = mkdtempSync(join(tmpdir(), "slipway-tick-"));
  stackId = await store.environments.upsertStack("tick", dir);
  box = SecretBox.open(join(dir, "master.key"));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The simulated death of the control plane: thrown at a crash point, it stops everything after it. */
class Crash extends Error {}

/**
 * `target` as long as its control plane lives: once `dead()`, every call into it (or into
 * what its calls return, like a transaction's queries or an environment's edge) throws
 * Crash, as a SIGKILL'd process never writes to the store or signals anything again.
 */
function mortal<T extends object>(target: T, dead: () => boolean): T {
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key);
      if (typeof value === "object" && value !== null) return mortal(value, dead);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (dead()) throw new Crash("called after the crash");
        const wrap = (i: unknown) => (typeof i === "object" && i !== null ? mortal(i, dead) : i);
        const mortalArgs = args.map((a) =>
          typeof a === "function" ? (...inner: unknown[]) => a(...inner.map(wrap)) : a,
        );
        const result = value.apply(t, mortalArgs);
        return typeof result === "object" && result !== null && !(result instanceof Promise)
          ? mortal(result, dead)
          : result;
      };
    },
  });
}

/**
 * One control plane over the shared store and a fake world: a restart builds another over the
 * same two. Given `crashedAt`, it dies at the first crash point it reaches that is not in it
 * yet (a step boundary `after:<step>`, or a point inside a step, see faults.ts), and adds it:
 * from then on it reaches neither the store nor the world.
 */
function controlPlane(world: FakeWorld, crashedAt?: Set<string>, crashHere = (_point: string) => true) {
  const { driver } = fakeDriver({ world });
  const logs: string[] = [];
  let dead = false;
  let diedAt: string | undefined;
  const ctx: Ctx = {
    store: crashedAt ? mortal(store, () => dead) : store,
    paths: statePaths(dir),
    box,
    vault: secretVault(store, masterKeyProvider(join(dir, "master.key"))),
    driver: crashedAt ? mortal(driver, () => dead) : driver,
    stackId,
    projectDir: dir,
    log: pino({ level: "info" }, { write: (line: string) => void logs.push(line) }),
    now: () => world.clock.now(),
    drainer: { kick() {} },
    fault(point) {
      if (!crashedAt || crashedAt.has(point) || !crashHere(point)) return;
      crashedAt.add(point);
      dead = true;
      diedAt = point;
      throw new Crash(point);
    },
    event: (e) =>
      ctx.store.events.append({ actor: e.actor ?? "control-plane", data: {}, ...e }).then(() => {}),
  };
  return { ctx, driver, executor: new RolloutExecutor(ctx), logs, diedAt: () => diedAt };
}
type Plane = ReturnType<typeof controlPlane>;

/**
 * A fresh environment with its edge up. Its world's clock starts years away from the
 * database's: phase ages are measured on the injected clock alone.
 */
async function environment() {
  const name = `e${++environments}`;
  const world = new FakeWorld({ clock: new FakeClock(Date.parse("2031-01-01T00:00:00Z")) });
  const env = await store.environments.ensure(stackId, name);
  await store.environments.setPorts(env.id, {
    publicPort: 20_000 + environments,
    edgeLogPort: 21_000 + environments,
    internalPorts: { web: 22_000 + environments },
  });
  return { name, id: env.id, world };
}
type Env = Awaited<ReturnType<typeof environment>>;

async function deploy(env: Env, { ctx }: { ctx: Ctx }, config = CONFIG): Promise<string> {
  const rollout = await store.rollouts.create({
    environmentId: env.id,
    kind: "deploy",
    fromReleaseId: null,
    toReleaseId: null,
    source: null,
    config,
    actor: "test",
  });
  await ensureEdge(ctx, (await store.environments.get(stackId, env.name))!);
  return rollout!.id;
}

/** Ticks until the rollout is over, moving the fake clock by what each tick says to wait. */
async function drive(
  plane: Plane,
  world: FakeWorld,
  id: string,
  until?: (phase: string) => boolean,
  /** Called as the clock moves by `ms` (a canary test's traffic). */
  during?: (ms: number) => void,
) {
  for (let i = 0; i < 400; i++) {
    const next = await plane.executor.tick(id);
    if (next === "done") break;
    if (until?.((await store.rollouts.get(id))!.phase)) break;
    during?.(next);
    world.clock.advance(next);
  }
  return (await store.rollouts.get(id))!;
}

/**
 * Drives a rollout to its end with control planes that each die at the first crash point they
 * reach that no earlier one died at (a SIGKILL: their supervision is lost, their processes run
 * on); each time a fresh one adopts what runs, as a restarted control plane does, and carries
 * on. Returns where each died, in order.
 */
async function driveThroughCrashes(
  env: Env,
  id: string,
  previous: Plane,
  crashHere = (_point: string) => true,
  during?: (ms: number) => void,
): Promise<string[]> {
  previous.driver.runtime.detach();
  const crashedAt = new Set<string>();
  const died: string[] = [];
  for (let i = 0; i < 50; i++) {
    const plane = controlPlane(env.world, crashedAt, crashHere);
    await adoptProcesses(plane.ctx, (await store.environments.get(stackId, env.name))!);
    try {
      await drive(plane, env.world, id, undefined, during);
      return died;
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
      died.push(plane.diedAt()!);
      plane.driver.runtime.detach();
    }
  }
  throw new Error("the rollout never finished");
}

/** V1 live, through a whole rollout. */
async function withLiveV1() {
  const env = await environment();
  const plane = controlPlane(env.world);
  const v1 = await drive(plane, env.world, await deploy(env, plane, V1));
  expect(v1.phase).toBe("succeeded");
  return { env, plane };
}

const live = async (env: Env) => {
  const row = (await store.environments.get(stackId, env.name))!;
  return row.liveReleaseId ? (await store.releases.getRelease(row.liveReleaseId))!.number : null;
};
const edgeWeights = (env: Env) => env.world.edge(env.name).weights("web");

/** Which of the environment's processes run in the fake world, of release `v`. */
const runningOf = (env: Env, v: number) =>
  env.world
    .running()
    .filter((id) => id.startsWith(`${env.name}/v${v}/`))
    .sort();

describe("rollout executor, tick by tick", () => {
  it("a deploy makes the new release live, retires the old one and switches the edge's servers", async () => {
    const { env, plane } = await withLiveV1();
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    const rollout = await drive(plane, env.world, await deploy(env, plane));

    expect(rollout).toMatchObject({ phase: "succeeded", error: null });
    expect(await live(env)).toBe(2);
    expect(env.world.jobRuns(`${env.name}/v2/migrate`)).toBe(1);
    expect(runningOf(env, 2)).toEqual(processesOf(env.name, 2));
    const old = (await store.processes.forEnvironment(env.id)).filter(
      (p) => p.releaseId !== rollout.toReleaseId,
    );
    expect(old.map((p) => [p.id, p.desired, p.state])).toEqual([
      [`${env.name}/v1/web/1`, "stopped", "draining"],
    ]);
    expect(edgeWeights(env)).toEqual({ "v2-1": 100, "v2-2": 100 });
    const events = (await store.events.about([rollout.id])).map((e) => e.kind);
    expect(events.at(-1)).toBe("rollout.succeeded");
  });

  it("a failing release job aborts the rollout: nothing of it runs, the live release is untouched", async () => {
    const { env, plane } = await withLiveV1();
    env.world.whenJob(`${env.name}/v2/`, { exit: 3, runsForMs: 2_000 });
    const rollout = await drive(plane, env.world, await deploy(env, plane));

    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.code).toBe("SLW_RELEASE_JOB_FAILED");
    expect((await store.releases.getRelease(rollout.toReleaseId!))!.jobExit).toBe(3);
    expect(env.world.jobRuns(`${env.name}/v2/migrate`)).toBe(1);
    expect(runningOf(env, 2)).toEqual([]);
    expect(env.world.calls.filter((c) => c.startsWith(`start ${env.name}/v2/`))).toEqual([]);
    expect(await live(env)).toBe(1);
    expect(runningOf(env, 1)).toEqual([`${env.name}/v1/web/1`]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
  });

  it("a target that never becomes healthy fails with SLW_UNHEALTHY once its health timeout has passed", async () => {
    const env = await environment();
    const plane = controlPlane(env.world);
    env.world.whenProcess(`${env.name}/v1/web/`, { healthyAfterMs: Number.POSITIVE_INFINITY });
    const id = await deploy(env, plane);
    expect((await drive(plane, env.world, id, (phase) => phase === "starting")).phase).toBe("starting");
    expect(await plane.executor.tick(id)).toBe(0); // start-target
    // Started, not healthy, not yet overdue: it waits.
    expect(await plane.executor.tick(id)).toBe(100);
    expect((await store.rollouts.get(id))!.phase).toBe("starting");

    env.world.clock.advance((HEALTH_TIMEOUT_S + 1) * 1000);
    const rollout = await drive(plane, env.world, id);
    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.code).toBe("SLW_UNHEALTHY");
    expect(rollout.error?.message).toContain(`${env.name}/v1/web/1 (not healthy yet)`);
    expect(env.world.running()).toEqual([]);
    expect(await live(env)).toBe(null);
    expect(edgeWeights(env)).toEqual({});
  });

  it("an unknown exception fails the rollout as SLW_INTERNAL and logs its stack; our own codes are kept", async () => {
    const env = await environment();
    const plane = controlPlane(env.world);
    env.world.failOn(`start ${env.name}/v1/web/2`, new TypeError("cannot read properties of undefined"));
    const rollout = await drive(plane, env.world, await deploy(env, plane));
    expect(rollout.phase).toBe("failed");
    expect(rollout.error).toMatchObject({
      code: "SLW_INTERNAL",
      message: "internal error: cannot read properties of undefined",
    });
    const logged = plane.logs.map((l) => JSON.parse(l)).find((l) => l.err?.type === "TypeError");
    expect(logged?.err.stack).toMatch(/TypeError: cannot read properties of undefined\n\s+at /);
    expect(env.world.running()).toEqual([]);

    env.world.failOn(
      `start ${env.name}/v2/worker/1`,
      new SlipwayError("SLW_PROCESS_FAILED", "could not spawn node: ENOENT"),
    );
    const next = await drive(plane, env.world, await deploy(env, plane));
    expect(next.error).toMatchObject({ code: "SLW_PROCESS_FAILED", message: "could not spawn node: ENOENT" });
    expect(env.world.running()).toEqual([]);
    expect(await live(env)).toBe(null);
  });

  it("the control plane dies at every crash point, a fresh one carries on: the same end, the job ran once", async () => {
    const { env, plane } = await withLiveV1();
    const id = await deploy(env, plane);
    expect(await driveThroughCrashes(env, id, plane)).toEqual([
      "after:move:building",
      "build:progress",
      "after:build",
      "after:move:releasing",
      // From here the job is found running (by its nonce), never launched again: so the
      // failing run below is the one that crashes at `after:run-release-job`.
      "job:pid-unrecorded",
      "after:record-job",
      "after:move:starting",
      "spawned:pid-unrecorded",
      "after:start-target",
      "after:move:switching",
      "switch:recorded",
      "after:switch-traffic",
    ]);

    expect((await store.rollouts.get(id))!.phase).toBe("succeeded");
    expect(await live(env)).toBe(2);
    expect(env.world.jobRuns(`${env.name}/v2/migrate`)).toBe(1);
    expect(runningOf(env, 2)).toEqual(processesOf(env.name, 2));
    expect(env.world.calls.filter((c) => c.startsWith(`start ${env.name}/v2/`))).toHaveLength(3);
    expect(edgeWeights(env)).toEqual({ "v2-1": 100, "v2-2": 100 });
    const old = (await store.processes.forEnvironment(env.id)).find((p) => p.id === `${env.name}/v1/web/1`);
    expect([old?.desired, old?.state]).toEqual(["stopped", "draining"]);
  });

  it("dying at every step boundary of a failing rollout: it stops what it started, once, and the live release serves on", async () => {
    const { env, plane } = await withLiveV1();
    env.world.failOn(`start ${env.name}/v2/worker/1`, new SlipwayError("SLW_PROCESS_FAILED", "no such file"));
    const id = await deploy(env, plane);
    const boundaries = (point: string) => point.startsWith("after:");
    expect(await driveThroughCrashes(env, id, plane, boundaries)).toEqual([
      "after:move:building",
      "after:build",
      "after:move:releasing",
      "after:run-release-job",
      "after:record-job",
      "after:move:starting",
      "after:abort",
      "after:stop-target",
      "after:move:failed",
    ]);

    const rollout = (await store.rollouts.get(id))!;
    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.code).toBe("SLW_PROCESS_FAILED");
    expect(env.world.jobRuns(`${env.name}/v2/migrate`)).toBe(1);
    expect(env.world.calls.filter((c) => c.startsWith(`stop ${env.name}/v2/`)).sort()).toEqual([
      `stop ${env.name}/v2/web/1`,
      `stop ${env.name}/v2/web/2`,
    ]);
    expect(runningOf(env, 2)).toEqual([]);
    expect(await live(env)).toBe(1);
    expect(runningOf(env, 1)).toEqual([`${env.name}/v1/web/1`]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    const aborting = (await store.events.about([id])).filter((e) => e.kind === "rollout.aborting");
    expect(aborting).toHaveLength(1);
  });

  it("a phase move and its event land together or not at all", async () => {
    const env = await environment();
    const { ctx } = controlPlane(env.world);
    const id = await deploy(env, { ctx });
    // A store whose events table refuses every row: the move that goes with one must not land.
    const refusing: Store = {
      ...store,
      transaction: (fn) =>
        store.transaction((tx) =>
          fn({
            ...tx,
            events: {
              ...tx.events,
              append: () => Promise.reject(new Error("no space left on device")),
            },
          }),
        ),
    };
    await expect(new RolloutExecutor({ ...ctx, store: refusing }).tick(id)).rejects.toThrow(
      "no space left on device",
    );
    expect((await store.rollouts.get(id))!.phase).toBe("pending");
    expect(await store.events.about([id])).toEqual([]);
  });

  it("drive() loops over tick, waiting as each tick says through the injected wait", async () => {
    const env = await environment();
    const { ctx } = controlPlane(env.world);
    env.world.whenJob(`${env.name}/v1/`, { runsForMs: 1_000 });
    const waited: number[] = [];
    const executor = new RolloutExecutor(ctx, async (ms) => {
      waited.push(ms);
      env.world.clock.advance(ms);
    });
    const id = await deploy(env, { ctx });
    await executor.kick(id);
    expect((await store.rollouts.get(id))!.phase).toBe("succeeded");
    expect(waited.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000);
  });
});

/** Three steps, each held 30 s and 200 canary requests; judged by the default policy. */
const CANARY: ReleaseConfig = {
  ...CONFIG,
  rollout: {
    strategy: {
      kind: "canary",
      onFailure: "rollback",
      steps: [
        { weight: 10, holdMs: 30_000, holdRequests: 200 },
        { weight: 50, holdMs: 30_000, holdRequests: 200 },
        { weight: 100, holdMs: 0, holdRequests: 0 },
      ],
    },
    policy: DEFAULT_JUDGE_POLICY,
  },
};
const withStrategy = (strategy: RolloutStrategy): ReleaseConfig => ({
  ...CANARY,
  rollout: { strategy, policy: DEFAULT_JUDGE_POLICY },
});

/**
 * Steady traffic through the fake edge: `rps` requests a second spread over the web backend's
 * ready servers by weight (plus `probeRps` forced to the canary, as probes and testers do),
 * counted cumulatively as HAProxy counts. The canary's requests fail and are slower than the
 * latency budget at the given rates; the stable revision's never are.
 */
function traffic(
  env: Env,
  o: { canaryErrors?: number; canarySlow?: number; rps?: number; probeRps?: number } = {},
) {
  const edge = env.world.edge(env.name);
  const totals = new Map<string, { requests: number; errors: number; slow: number }>();
  return (ms: number) => {
    const servers = (edge.servers.get("web") ?? []).filter((s) => s.state === "ready");
    const sum = servers.reduce((n, s) => n + s.weight, 0);
    const canaries = servers.filter((s) => s.canary).length;
    for (const s of servers) {
      const share = sum ? s.weight / sum : 0;
      const n = Math.round(
        ((o.rps ?? 100) * share + (s.canary ? (o.probeRps ?? 0) / canaries : 0)) * (ms / 1000),
      );
      const t = totals.get(s.name) ?? { requests: 0, errors: 0, slow: 0 };
      t.requests += n;
      if (s.canary) {
        t.errors += Math.round(n * (o.canaryErrors ?? 0));
        t.slow += Math.round(n * (o.canarySlow ?? 0));
      }
      totals.set(s.name, t);
      edge.inject("web", s.name, {
        requests: t.requests,
        responses: { "1xx": 0, "2xx": t.requests - t.errors, "3xx": 0, "4xx": 0, "5xx": t.errors, other: 0 },
        latency: {
          samples: t.requests,
          p50Ms: 20,
          p95Ms: t.slow ? 700 : 40,
          p99Ms: 90,
          maxMs: 900,
          overBudget: t.slow,
        },
      });
    }
  };
}

async function eventually(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** V1 live, and a deploy of `config` started over it. */
async function canaryOver(config: ReleaseConfig) {
  const { env, plane } = await withLiveV1();
  const id = await deploy(env, plane, config);
  return { env, plane, id };
}

const judgementsOf = (id: string) => store.rollouts.judgements(id);
const weightsSet = async (id: string) =>
  (await judgementsOf(id)).filter((j) => j.action === "set-weight").map((j) => j.weight);
const command = (id: string, c: RolloutCommand) => store.rollouts.setCommand(id, c);
const stepOf = async (id: string) => (await store.rollouts.get(id))!.stepState;

describe("canary rollouts, tick by tick", () => {
  it("a healthy canary goes 10% → 50% → 100% as the judge advances it, then switches like a direct deploy", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const seen: Record<string, number>[] = [];
    const load = traffic(env);
    const rollout = await drive(plane, env.world, id, undefined, (ms) => {
      seen.push(edgeWeights(env));
      load(ms);
    });

    expect(rollout).toMatchObject({ phase: "succeeded", error: null });
    expect(await live(env)).toBe(2);
    expect(await weightsSet(id)).toEqual([10, 50, 100]);
    // The canary shared the backend beside v1 at each step, marked as the canary.
    expect(seen).toContainEqual({ "v1-1": 230, "v2-1": 13, "v2-2": 13 });
    expect(seen).toContainEqual({ "v1-1": 128, "v2-1": 64, "v2-2": 64 });
    expect(edgeWeights(env)).toEqual({ "v2-1": 100, "v2-2": 100 });
    expect(
      env.world
        .edge(env.name)
        .servers.get("web")!
        .some((s) => s.canary),
    ).toBe(false);
    const advanced = (await judgementsOf(id)).filter(
      (j) => j.action === "set-weight" && j.verdict === "advance",
    );
    expect(advanced[0]!.reason).toMatch(/every service within limits: web/);
    expect((advanced[0]!.judgement as Judged).services.web!.canary!.requests).toBeGreaterThanOrEqual(200);
    expect(runningOf(env, 2)).toEqual(processesOf(env.name, 2));
  });

  it("a canary failing 10% of its requests is rolled back at its first step: all traffic to v1, nothing of v2 runs", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const rollout = await drive(plane, env.world, id, undefined, traffic(env, { canaryErrors: 0.1 }));

    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(rollout.error?.message).toMatch(/at 10%: .*errors/);
    expect(await weightsSet(id)).toEqual([10]);
    expect(await live(env)).toBe(1);
    expect(runningOf(env, 2)).toEqual([]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    const last = (await judgementsOf(id)).at(-1)!;
    expect(last).toMatchObject({ action: "roll-back", verdict: "rollback", weight: 10 });
    const web = (last.judgement as Judged).services.web!;
    expect(web.checks.find((c) => c.outcome === "fail")?.text).toMatch(
      /errors \d+\/\d+ = 1\d\.\d+%, over 1\.00%/,
    );
    const kinds = (await store.events.about([id])).map((e) => e.kind);
    expect(kinds).toContain("rollout.rolled-back");
    expect(kinds.at(-1)).toBe("rollout.failed");
  });

  it("a canary slower than the latency budget is rolled back on latency", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const rollout = await drive(plane, env.world, id, undefined, traffic(env, { canarySlow: 0.5 }));
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(rollout.error?.message).toMatch(/latency: slower than 250 ms/);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
  });

  it("with no traffic it holds at its first weight, inconclusive, never rolled back; an abort rolls it back", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    for (let i = 0; i < 60; i++) env.world.clock.advance(Number(await plane.executor.tick(id)));

    expect((await store.rollouts.get(id))!.phase).toBe("analyzing");
    expect(await weightsSet(id)).toEqual([10]);
    const last = (await judgementsOf(id)).at(-1)!;
    expect(last).toMatchObject({ action: "hold", verdict: "hold" });
    // No request reached either revision: nothing to judge, so it holds, whatever the time.
    expect((last.judgement as Judged).reason).toMatch(/inconclusive: no service judged/);

    expect(await command(id, "abort")).toBe(true);
    const rollout = await drive(plane, env.world, id);
    expect(rollout.error).toMatchObject({ code: "SLW_CANARY_ROLLED_BACK" });
    expect(rollout.error?.message).toMatch(/aborted by a human/);
    expect(runningOf(env, 2)).toEqual([]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
  });

  it("counters that cannot be used hold the canary (inconclusive), it does not crash or roll back", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    await plane.executor.tick(id); // the first step
    // The edge restarted under it: its counters went back below the step's baseline.
    env.world.edge(env.name).inject("web", "v2-1", { requests: -1 });
    for (let i = 0; i < 20; i++) env.world.clock.advance(Number(await plane.executor.tick(id)));
    expect((await store.rollouts.get(id))!.phase).toBe("analyzing");
    expect(await weightsSet(id)).toEqual([10]);
    const last = (await judgementsOf(id)).at(-1)!;
    expect((last.judgement as Judged).reason).toMatch(
      /inconclusive: canary metrics unavailable \(counters went backwards/,
    );
  });

  it("pause stops it advancing (not watching), resume carries on, promote skips to 100%", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const load = traffic(env);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    await command(id, "pause");
    for (let i = 0; i < 30; i++) {
      const ms = Number(await plane.executor.tick(id));
      load(ms);
      env.world.clock.advance(ms);
    }
    expect(await stepOf(id)).toMatchObject({ paused: true, weight: 10 });
    expect((await judgementsOf(id)).at(-1)!.reason).toMatch(/paused at 10%/);

    await command(id, "resume");
    await drive(plane, env.world, id, () => false, load);
    // Stopped by `until` never: driven to the end once resumed; with a promote it ends sooner.
    expect((await store.rollouts.get(id))!.phase).toBe("succeeded");
    const kinds = (await store.events.about([id])).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["rollout.paused", "rollout.resumed"]));

    const next = await canaryOver(CANARY);
    await drive(next.plane, next.env.world, next.id, (phase) => phase === "analyzing");
    await next.plane.executor.tick(next.id); // 10%
    await command(next.id, "promote");
    const promoted = await drive(next.plane, next.env.world, next.id);
    expect(promoted.phase).toBe("succeeded");
    expect(await weightsSet(next.id)).toEqual([10, 100]);
    expect((await judgementsOf(next.id)).at(-1)!.reason).toMatch(/promoted by a human|takes all traffic/);
  });

  it("a release that says freeze stops at its weight on a failed judgement, until a human promotes or aborts", async () => {
    const steps = (CANARY.rollout!.strategy as Extract<RolloutStrategy, { kind: "canary" }>).steps;
    const { env, plane, id } = await canaryOver(withStrategy({ kind: "canary", onFailure: "freeze", steps }));
    const load = traffic(env, { canaryErrors: 0.1 });
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    for (let i = 0; i < 20; i++) {
      const ms = Number(await plane.executor.tick(id));
      load(ms);
      env.world.clock.advance(ms);
    }
    expect((await store.rollouts.get(id))!.phase).toBe("analyzing");
    expect(await stepOf(id)).toMatchObject({ frozen: true, weight: 10 });
    expect(edgeWeights(env)).toEqual({ "v1-1": 230, "v2-1": 13, "v2-2": 13 });
    expect((await store.events.about([id])).filter((e) => e.kind === "rollout.frozen")).toHaveLength(1);

    await command(id, "abort");
    const rollout = await drive(plane, env.world, id);
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
  });

  it("a worker of the canary that crashes rolls the whole release back", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    env.world.whenProcess(`${env.name}/v2/worker/`, { exitAfterMs: 20_000 });
    const rollout = await drive(plane, env.world, id, undefined, traffic(env));
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(rollout.error?.message).toMatch(/crashed: .*\/v2\/worker\/1 restarted/);
    expect(runningOf(env, 2)).toEqual([]);
  });

  it("blue/green: probed at weight 0, switched all at once, v1 kept warm (an abort is instant), then retired", async () => {
    const blueGreen = withStrategy({ kind: "blueGreen", keepWarmMs: 60_000, onFailure: "rollback" });
    const { env, plane, id } = await canaryOver(blueGreen);
    const load = traffic(env, { probeRps: 20 });
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    await plane.executor.tick(id);
    expect(edgeWeights(env)).toEqual({ "v1-1": 256, "v2-1": 0, "v2-2": 0 });
    for (let i = 0; i < 40 && (await stepOf(id))?.weight !== 100; i++) {
      const ms = Number(await plane.executor.tick(id));
      load(ms);
      env.world.clock.advance(ms);
    }
    expect(edgeWeights(env)).toEqual({ "v1-1": 0, "v2-1": 128, "v2-2": 128 });
    expect(runningOf(env, 1)).toEqual([`${env.name}/v1/web/1`]);

    await command(id, "abort");
    const rollout = await drive(plane, env.world, id);
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });

    const next = await canaryOver(blueGreen);
    const done = await drive(
      next.plane,
      next.env.world,
      next.id,
      undefined,
      traffic(next.env, { probeRps: 20 }),
    );
    expect(done.phase).toBe("succeeded");
    expect(await weightsSet(next.id)).toEqual([0, 100]);
    expect(edgeWeights(next.env)).toEqual({ "v2-1": 100, "v2-2": 100 });
    const warm = (await judgementsOf(next.id)).filter((j) => /kept warm/.test(j.reason));
    expect(warm.length).toBeGreaterThan(0);
  });

  it("controls: a command needs a canary that is analysing; each is an audit event naming who asked", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const kicked: string[] = [];
    const controls = rolloutControls(plane.ctx, (r) => kicked.push(r));
    await expect(controls.command({ env: env.name }, "pause", "alice")).rejects.toMatchObject({
      code: "SLW_CONFLICT",
      message: expect.stringMatching(
        /it is pending: the new release takes no traffic yet, so there is nothing to pause/,
      ),
    });
    await expect(controls.command({ env: "nowhere" }, "pause", "alice")).rejects.toMatchObject({
      code: "SLW_NOT_FOUND",
    });
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    expect((await controls.command({ id }, "pause", "alice")).command).toBe("pause");
    expect(kicked).toEqual([id]);
    const asked = (await store.events.about([id])).find((e) => e.kind === "rollout.pause-requested");
    expect(asked).toMatchObject({ actor: "alice", message: "alice asked to pause the rollout" });
    await plane.executor.tick(id);
    const t = await controls.latest(env.name);
    expect(t.rollout).toMatchObject({ id, command: null, stepState: { paused: true, weight: 10 } });
    expect(t.judgements.map((j) => j.action)).toEqual(["set-weight"]);
  });

  it("a human's command wakes the driving loop at once instead of waiting out the hold", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const holds: number[] = [];
    // Short waits pass on the fake clock; a hold's wait never ends by itself.
    const executor = new RolloutExecutor(plane.ctx, (ms) => {
      if (ms < 1_000) return Promise.resolve(env.world.clock.advance(ms));
      holds.push(ms);
      return new Promise(() => {});
    });
    const driving = executor.kick(id);
    await eventually(async () => holds.length > 0);
    expect((await store.rollouts.get(id))!.phase).toBe("analyzing");
    await command(id, "abort");
    void executor.kick(id);
    await driving;
    expect((await store.rollouts.get(id))!.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
  });

  it("the control plane dies at every crash point of a canary, a fresh one carries on from the stored step", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const died = await driveThroughCrashes(env, id, plane, undefined, traffic(env));
    expect(died).toEqual(
      expect.arrayContaining([
        "after:move:analyzing",
        "canary:step-saved",
        "after:set-weight",
        "after:hold",
        "after:finish",
      ]),
    );
    expect((await store.rollouts.get(id))!.phase).toBe("succeeded");
    expect(await weightsSet(id)).toEqual([10, 50, 100]);
    expect(edgeWeights(env)).toEqual({ "v2-1": 100, "v2-2": 100 });
    expect(runningOf(env, 2)).toEqual(processesOf(env.name, 2));
  });

  it("dying at every crash point of a failing canary: it rolls back once and nothing of v2 runs", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const died = await driveThroughCrashes(env, id, plane, undefined, traffic(env, { canaryErrors: 0.1 }));
    expect(died).toEqual(
      expect.arrayContaining(["canary:step-saved", "canary:rollback-saved", "after:stop-target"]),
    );
    const rollout = (await store.rollouts.get(id))!;
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect((await judgementsOf(id)).filter((j) => j.action === "roll-back")).toHaveLength(1);
    expect(runningOf(env, 2)).toEqual([]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
  });
});

/** A live release with a worker of three replicas (direct), deployed over with the same as a canary. */
const V1_WORKERS: ReleaseConfig = {
  ...CONFIG,
  services: { ...CONFIG.services, worker: service("worker", { replicas: 3 }) },
};
const WORKERS: ReleaseConfig = { ...V1_WORKERS, rollout: CANARY.rollout! };

/**
 * Jobs as workers report them (the route's store write), `perSecond` spread over each
 * revision's running workers; the canary's fail at `canaryFailing`.
 */
function jobs(env: Env, o: { perSecond?: number; canaryFailing?: number } = {}) {
  let owed = 0;
  return async (ms: number) => {
    owed += ((o.perSecond ?? 20) * ms) / 1000;
    const n = Math.floor(owed);
    owed -= n;
    const running = env.world.running().filter((id) => id.includes("/worker/"));
    for (const release of [1, 2]) {
      const share = running.filter((id) => id.includes(`/v${release}/`)).length / (running.length || 1);
      const count = Math.round(n * share);
      if (!count) continue;
      const row = await store.releases.byNumber(env.id, release);
      const failed = release === 2 ? Math.round(count * (o.canaryFailing ?? 0)) : 0;
      const rows: JobCountRow[] = [
        { outcome: "completed", bucket: 40, count: count - failed },
        { outcome: "failed", bucket: 40, count: failed },
      ];
      await store.jobCounts.add(
        row!.id,
        "worker",
        rows.filter((r) => r.count > 0),
      );
    }
  };
}

/**
 * Ticks until the rollout is over, as `drive` does, with the drainer finishing what leaves
 * traffic (a stable worker giving the canary its share), as the control plane's runs beside
 * it; `during` is the world between ticks. Returns the stable release's running workers after each tick.
 */
async function driveDraining(plane: Plane, env: Env, id: string, during: (ms: number) => Promise<void>) {
  const drainer = new Drainer(plane.ctx);
  const stableWorkers: number[] = [];
  for (let i = 0; i < 600; i++) {
    const next = await plane.executor.tick(id);
    await drainer.tick();
    await drainer.stop();
    stableWorkers.push(runningOf(env, 1).filter((p) => p.includes("/worker/")).length);
    if (next === "done") break;
    await during(next);
    env.world.clock.advance(next);
  }
  return { rollout: (await store.rollouts.get(id))!, stableWorkers };
}

/** `driveThroughCrashes` with the drainer: each control plane dies at the first crash point no earlier one died at. */
async function crashDraining(env: Env, id: string, previous: Plane, during: (ms: number) => Promise<void>) {
  previous.driver.runtime.detach();
  const crashedAt = new Set<string>();
  const died: string[] = [];
  for (let i = 0; i < 50; i++) {
    const plane = controlPlane(env.world, crashedAt);
    await adoptProcesses(plane.ctx, (await store.environments.get(stackId, env.name))!);
    try {
      await driveDraining(plane, env, id, during);
      return died;
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
      died.push(plane.diedAt()!);
      plane.driver.runtime.detach();
    }
  }
  throw new Error("the rollout never finished");
}

describe("worker canaries, tick by tick", () => {
  async function over() {
    const env = await environment();
    const plane = controlPlane(env.world);
    expect((await drive(plane, env.world, await deploy(env, plane, V1_WORKERS))).phase).toBe("succeeded");
    const web = traffic(env);
    const world = (o: Parameters<typeof jobs>[1] = {}) => {
      const report = jobs(env, o);
      return async (ms: number) => {
        web(ms);
        await report(ms);
      };
    };
    return { env, plane, world, id: await deploy(env, plane, WORKERS) };
  }
  const stable = (env: Env) => runningOf(env, 1).filter((p) => p.includes("/worker/"));

  it("the stable worker runs the complement of the canary's share, then retires; a healthy canary advances on its jobs", async () => {
    const { env, plane, id, world } = await over();
    const { rollout, stableWorkers } = await driveDraining(plane, env, id, world());
    expect(rollout.phase).toBe("succeeded");
    expect(await weightsSet(id)).toEqual([10, 50, 100]);
    // 3 replicas: at 10% the canary runs 1 and stable 2, at 50% 2 and 1, at 100% 3 and none.
    expect(stableWorkers).toEqual(expect.arrayContaining([3, 2, 1, 0]));
    expect(stableWorkers.indexOf(1)).toBeGreaterThan(stableWorkers.indexOf(2));
    const advanced = (await judgementsOf(id)).filter(
      (j) => j.action === "set-weight" && j.verdict === "advance",
    );
    expect(advanced[0]!.reason).toMatch(/every service within limits: web, worker/);
    expect((advanced[0]!.judgement as Judged).services.worker!.reason).toMatch(/over \d+ jobs/);
    expect(runningOf(env, 2).filter((p) => p.includes("/worker/"))).toHaveLength(3);
  });

  it("a worker failing its jobs rolls the release back; the stable worker gets all its replicas back", async () => {
    const { env, plane, id, world } = await over();
    const { rollout, stableWorkers } = await driveDraining(plane, env, id, world({ canaryFailing: 1 }));
    expect(rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(rollout.error?.message).toMatch(/worker: canary worse: .*failed jobs \d+\/\d+ = 100\.00%/);
    expect(stableWorkers).toContain(2);
    expect(stable(env)).toHaveLength(3);
    expect(runningOf(env, 2)).toEqual([]);
    const kinds = (await store.events.about([id])).map((e) => e.kind);
    expect(kinds.filter((k) => k === "rollout.stable-scaled").length).toBeGreaterThanOrEqual(2);
  });

  it("dying at every crash point of a failing worker canary: the stable worker ends with all its replicas", async () => {
    const { env, plane, id, world } = await over();
    const died = await crashDraining(env, id, plane, world({ canaryFailing: 1 }));
    expect(died).toEqual(
      expect.arrayContaining([
        "canary:step-saved",
        "canary:rollback-saved",
        "after:stop-target",
        "after:restore-stable",
      ]),
    );
    expect((await store.rollouts.get(id))!.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(runningOf(env, 2)).toEqual([]);
    expect(stable(env)).toEqual([1, 2, 3].map((r) => `${env.name}/v1/worker/${r}`));
  });
});

describe("probes gate each step (seed 001)", () => {
  const hashCheck = (name: string) => ({
    kind: "command" as const,
    name,
    service: "web",
    command: ["node", "hash-check.mjs"],
    timeoutSeconds: 5,
  });

  it("a failing probe rolls back where the judge alone would have advanced", async () => {
    const { env, plane, id } = await canaryOver({ ...CANARY, probes: [hashCheck("output-hash")] });
    env.world.whenJob(`${env.name}/probe/`, { exit: 1 });
    const rollout = await drive(plane, env.world, id, undefined, traffic(env));

    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.message).toMatch(/probes: command probe output-hash: node hash-check.mjs exited 1/);
    expect(await weightsSet(id)).toEqual([10]);
    expect(await live(env)).toBe(1);
    const last = (await judgementsOf(id)).at(-1)!;
    expect(last).toMatchObject({ action: "roll-back", verdict: "rollback" });
    expect(last.reason).toBe("at 10%: probes: command probe output-hash: node hash-check.mjs exited 1");
  });

  it("passing probes let each step advance", async () => {
    const { env, plane, id } = await canaryOver({ ...CANARY, probes: [hashCheck("output-hash")] });
    env.world.whenJob(`${env.name}/probe/`, { exit: 0 });
    const rollout = await drive(plane, env.world, id, undefined, traffic(env));

    expect(rollout.phase).toBe("succeeded");
    expect(await weightsSet(id)).toEqual([10, 50, 100]);
    expect(
      env.world.calls.filter((c) => c.startsWith(`runJob ${env.name}/probe/`)).length,
    ).toBeGreaterThanOrEqual(2);
  });
});

describe("a step that keeps failing while analysing", () => {
  it("is retried, then the rollout aborts with SLW_ROLLOUT_STUCK: v1 takes all traffic, nothing of v2 runs", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    // The edge's runtime API refuses every change from now on: no weight can be set.
    const refusal = new SlipwayError("SLW_EDGE_FAILED", "the edge's runtime API refused the change");
    let ticks = 0;
    while ((await store.rollouts.get(id))!.phase === "analyzing" && ticks++ < 200) {
      env.world.failOn(`setServers ${env.name}/web`, refusal);
      env.world.clock.advance(Number(await plane.executor.tick(id)));
    }
    const rollout = await drive(plane, env.world, id);

    expect(rollout.phase).toBe("failed");
    expect(rollout.error?.code).toBe("SLW_ROLLOUT_STUCK");
    expect(rollout.error?.message).toMatch(
      /a step of the analysis failed \d+ times over 6\d s, last: the edge's runtime API refused the change/,
    );
    expect(ticks).toBeGreaterThanOrEqual(GIVE_UP_MS / 1_000);
    expect(await live(env)).toBe(1);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    expect(runningOf(env, 2)).toEqual([]);
    const events = await store.events.about([id]);
    expect(events.filter((e) => e.kind === "rollout.retry").length).toBeGreaterThan(10);
    expect(events.find((e) => e.kind === "rollout.aborting")?.data).toMatchObject({
      code: "SLW_ROLLOUT_STUCK",
    });
  });

  it("a failure that clears before the deadline is only retried: the canary carries on", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    const refusal = new SlipwayError("SLW_EDGE_FAILED", "the edge's runtime API refused the change");
    for (let i = 0; i < 30; i++) {
      env.world.failOn(`setServers ${env.name}/web`, refusal);
      env.world.clock.advance(Number(await plane.executor.tick(id)));
    }
    const rollout = await drive(plane, env.world, id, undefined, traffic(env));
    expect(rollout).toMatchObject({ phase: "succeeded", error: null });
    expect(await weightsSet(id)).toEqual([10, 50, 100]);
  });
});

describe("a human's commands in every phase, through the API", () => {
  /** The rollout routes over this control plane, called with a deployer's token. */
  async function api(plane: Plane, env: Env) {
    const kicked: string[] = [];
    const app = await buildApi(store, {} as Operations, pino({ level: "silent" }));
    registerRolloutRoutes(
      app,
      rolloutControls(plane.ctx, (id) => kicked.push(id)),
    );
    const { token } = await store.tokens.create(`dana-${env.name}`, "deployer");
    const post = async (url: string) => {
      const r = await app.inject({ method: "POST", url, headers: { authorization: `Bearer ${token}` } });
      return { status: r.statusCode, body: r.json() };
    };
    return {
      kicked,
      close: () => app.close(),
      send: (c: RolloutCommand) => post(`/v1/environments/${env.name}/rollout/${c}`),
      sendTo: (id: string, c: RolloutCommand) => post(`/v1/rollouts/${id}/${c}`),
    };
  }

  it("before the switch, a deploy's steps are refused naming the phase and abort stops what it started", async () => {
    const { env, plane } = await withLiveV1();
    env.world.whenJob(`${env.name}/v2/migrate`, { runsForMs: 600_000 });
    const id = await deploy(env, plane);
    const a = await api(plane, env);
    await drive(plane, env.world, id, (phase) => phase === "releasing");
    await plane.executor.tick(id); // the release job starts

    const pause = await a.send("pause");
    expect(pause.status).toBe(409);
    expect(pause.body).toMatchObject({
      code: "SLW_CONFLICT",
      detail: `cannot pause rollout ${id}: a deploy without canary or blue/green steps has nothing to pause`,
      hint: expect.stringMatching(/slipway rollout abort/),
    });
    const abort = await a.send("abort");
    expect(abort.status).toBe(202);
    expect(abort.body.rollout).toMatchObject({ id, phase: "releasing", command: "abort" });
    expect(a.kicked).toEqual([id]);
    const rollout = await drive(plane, env.world, id);

    expect(rollout.phase).toBe("failed");
    expect(rollout.error).toMatchObject({
      code: "SLW_ROLLOUT_ABORTED",
      message: "aborted by a human while releasing: v2 never took traffic",
    });
    expect(env.world.calls).toContain(`stopJob ${env.name}/v2/migrate`);
    expect(await live(env)).toBe(1);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    const asked = (await store.events.about([id])).find((e) => e.kind === "rollout.abort-requested");
    expect(asked?.actor).toBe(`dana-${env.name}`);
    await a.close();
  });

  it("a canary starting its processes: pause/resume/promote wait for the analysis, abort stops them", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    env.world.whenProcess(`${env.name}/v2/`, { healthyAfterMs: Number.POSITIVE_INFINITY });
    const a = await api(plane, env);
    await drive(plane, env.world, id, (phase) => phase === "starting");
    await plane.executor.tick(id); // its processes start, and never become healthy
    expect(runningOf(env, 2).length).toBeGreaterThan(0);

    for (const c of ["pause", "resume", "promote"] as const) {
      const r = await a.send(c);
      expect(r.status).toBe(409);
      expect(r.body.detail).toBe(
        `cannot ${c} rollout ${id}: it is starting: the new release takes no traffic yet, so there is nothing to ${c}`,
      );
    }
    expect((await a.send("abort")).status).toBe(202);
    const rollout = await drive(plane, env.world, id);
    expect(rollout.error?.code).toBe("SLW_ROLLOUT_ABORTED");
    expect(runningOf(env, 2)).toEqual([]);
    expect(edgeWeights(env)).toEqual({ "v1-1": 100 });
    await a.close();
  });

  it("while analysing each command applies once; switching is too late to abort; a finished rollout refuses", async () => {
    const { env, plane, id } = await canaryOver(CANARY);
    const a = await api(plane, env);
    await drive(plane, env.world, id, (phase) => phase === "analyzing");
    await plane.executor.tick(id); // 10%

    expect((await a.send("resume")).body.detail).toMatch(
      /neither paused nor frozen: there is nothing to resume/,
    );
    expect((await a.send("pause")).status).toBe(202);
    await plane.executor.tick(id);
    expect((await a.send("pause")).body).toMatchObject({
      code: "SLW_CONFLICT",
      detail: expect.stringMatching(/already paused/),
    });
    expect((await a.send("resume")).status).toBe(202);
    await plane.executor.tick(id);
    expect(await stepOf(id)).toMatchObject({ paused: false, weight: 10 });

    expect((await a.send("promote")).status).toBe(202);
    await drive(plane, env.world, id, (phase) => phase === "switching");
    expect((await store.rollouts.get(id))!.phase).toBe("switching");
    const late = await a.send("abort");
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(
      /it is switching: the new release is taking all traffic now, too late to abort/,
    );
    expect(late.body.hint).toMatch(/slipway rollback/);

    expect((await drive(plane, env.world, id)).phase).toBe("succeeded");
    expect((await a.send("abort")).body).toMatchObject({ code: "SLW_NOT_FOUND" });
    expect((await a.sendTo(id, "abort")).body.detail).toBe(
      `cannot abort rollout ${id}: it is over (succeeded)`,
    );
    await a.close();
  });
});
