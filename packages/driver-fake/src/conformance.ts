import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  AddonConfig,
  AddonRecord,
  BackupRepo,
  Driver,
  EdgeConfig,
  EdgeTarget,
  JobOutcome,
  JobSpec,
  PostgresConfig,
  ProcessSpec,
  RedisConfig,
} from "@slipway/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * What one implementation supplies so the shared suite can exercise it: a driver, and the
 * few things only a real target can make real (a process that answers its health check, a
 * source tree on disk, an add-on's record). The fake makes them by telling its world how
 * each id behaves; the local driver by writing real scripts and directories.
 */
export interface ConformanceFixture {
  driver: Driver;
  /** Another driver over the same target, as a control plane restarted after a crash. */
  restart(): Driver;
  /** A process that listens on `port` and passes its health check. */
  healthyProcess(id: string, port: number, nonce: string): ProcessSpec;
  /** A process that runs but never passes its health check. */
  unhealthyProcess(id: string, port: number): ProcessSpec;
  /** A one-shot job that exits with `exit`, or runs until stopped. */
  job(id: string, exit: number | "runs until stopped"): JobSpec;
  /** A directory holding a source tree whose content is `content` (a new directory each call). */
  sourceTree(content: string): Promise<string>;
  /** An add-on to ensure, and the connection variable that must name its port. */
  addon: { config: AddonConfig; record: AddonRecord; urlVariable: string };
  /**
   * Add-ons to back up (ensured by the suite, stopped after it), the repository they go to and
   * a new place for each restore. The redis add-on's config asks for snapshots.
   */
  backups: {
    postgres: { config: PostgresConfig; record: AddonRecord };
    redis: { config: RedisConfig; record: AddonRecord };
    repo: BackupRepo;
    into(what: string): Promise<{ dataDir: string; port: number }>;
  };
  /** An environment's edge and the free port it may listen on. */
  edge: { target: EdgeTarget; publicPort: number };
  /** Whether something can listen on `port` now; absent where nothing really listens. */
  canListen?(port: number): Promise<boolean>;
  cleanup(): Promise<void>;
}

/** How long a real target gets for a process to answer, a job to finish. */
const PATIENCE_MS = 20_000;

/**
 * The ports' contract, one suite for every implementation (as BullMQ runs one suite against
 * every backend): `describeDriverConformance("local", makeLocalFixture)`.
 */
export function describeDriverConformance(
  name: string,
  makeFixture: () => Promise<ConformanceFixture>,
): void {
  describe(`driver conformance: ${name}`, () => {
    let fx: ConformanceFixture;
    const id = (what: string) => `conformance/${what}-${randomBytes(3).toString("hex")}`;
    const port = () => fx.driver.runtime.allocatePort();

    beforeAll(async () => {
      fx = await makeFixture();
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    describe("runtime", () => {
      it("starts a process, sees it healthy, stops it; stopping again is a no-op", async () => {
        const { runtime } = fx.driver;
        const spec = fx.healthyProcess(id("web"), await port(), id("nonce"));
        const handle = await runtime.start(spec);
        expect(handle).toMatchObject({ id: spec.id, pid: expect.any(Number) });
        expect(await runtime.waitHealthy(spec.id, PATIENCE_MS)).toBe(true);
        expect(runtime.has(spec.id)).toBe(true);
        expect(runtime.list().find((p) => p.id === spec.id)?.pid).toBe(handle.pid);
        await runtime.stop(spec.id);
        expect(runtime.has(spec.id)).toBe(false);
        await runtime.stop(spec.id);
        expect(await runtime.waitHealthy(spec.id, 0)).toBe(false);
      });

      it("says a process that never answers is not healthy, and what its check saw", async () => {
        const { runtime } = fx.driver;
        const spec = fx.unhealthyProcess(id("sick"), await port());
        await runtime.start(spec);
        try {
          expect(await runtime.waitHealthy(spec.id, 1_500)).toBe(false);
          expect(runtime.lastHealthCheck(spec.id)).toEqual(expect.any(String));
        } finally {
          await runtime.stop(spec.id, 1_000);
        }
      });

      it("a restarted control plane adopts a process by its handle, and stops it", async () => {
        const spec = fx.healthyProcess(id("adopt"), await port(), id("nonce"));
        const handle = await fx.driver.runtime.start(spec);
        fx.driver.runtime.detach();
        const next = fx.restart().runtime;
        const adopted = next.adopt(spec, { pid: handle.pid, startTime: handle.startTime });
        expect(adopted?.pid).toBe(handle.pid);
        expect(next.has(spec.id)).toBe(true);
        expect(await next.waitHealthy(spec.id, PATIENCE_MS)).toBe(true);
        await next.stop(spec.id);
        expect(next.adopt(spec, { pid: handle.pid, startTime: handle.startTime })).toBeUndefined();
      });

      it("a restarted control plane finds a process by its nonce when its pid was never recorded", async () => {
        const nonce = id("nonce").replace(/\W/g, "");
        const spec = fx.healthyProcess(id("by-nonce"), await port(), nonce);
        const handle = await fx.driver.runtime.start(spec);
        fx.driver.runtime.detach();
        const next = fx.restart().runtime;
        expect(next.adopt(spec, { nonce })?.pid).toBe(handle.pid);
        await next.stop(spec.id);
        expect(next.adopt(spec, { nonce })).toBeUndefined();
      });

      it("reports a job's exit code, 0 or not, and finds it by nonce when no pid was recorded", async () => {
        const { runtime } = fx.driver;
        const ok = fx.job(id("job-ok"), 0);
        const bad = fx.job(id("job-bad"), 3);
        const okPid = await runtime.runJob(ok);
        await runtime.runJob(bad);
        expect(await settled(() => runtime.jobOutcome({ ...ok, pid: okPid }))).toEqual({
          state: "exited",
          code: 0,
        });
        expect(await settled(() => runtime.jobOutcome({ ...bad, pid: null }))).toEqual({
          state: "exited",
          code: 3,
        });
      });

      it("stops a running job, again harmlessly; a job never started is not-started", async () => {
        const { runtime } = fx.driver;
        const job = fx.job(id("job-long"), "runs until stopped");
        const ref = { ...job, pid: await runtime.runJob(job) };
        expect(runtime.jobOutcome(ref)).toEqual({ state: "running", pid: ref.pid });
        await runtime.stopJob(ref, 1_000);
        expect(runtime.jobOutcome(ref).state).not.toBe("running");
        await runtime.stopJob(ref, 1_000);
        const never = fx.job(id("never"), 0);
        expect(runtime.jobOutcome({ ...never, pid: null })).toEqual({ state: "not-started" });
      });

      it("allocates distinct ports that can be listened on", async () => {
        const ports = await Promise.all([port(), port(), port()]);
        expect(new Set(ports).size).toBe(3);
        for (const p of ports) {
          expect(p).toBeGreaterThan(1023);
          expect(p).toBeLessThan(65536);
          if (fx.canListen) expect(await fx.canListen(p)).toBe(true);
        }
      });
    });

    describe("edge", () => {
      it("ensure, setServers and stats round trip; ensure again adopts; stop", async () => {
        const edge = fx.driver.edge(fx.edge.target);
        expect(fx.driver.edge(fx.edge.target)).toBe(edge);
        const [a, b] = [await port(), await port()];
        const config: EdgeConfig = {
          env: fx.edge.target.env,
          publicPort: fx.edge.publicPort,
          routes: [{ path: "/", backend: "web" }],
          backends: [{ name: "web", servers: [{ name: "web-r1", port: a, weight: 256, state: "ready" }] }],
        };
        const first = await edge.ensure(config);
        try {
          expect(first.adopted).toBe(false);
          expect(await edge.isRunning()).toBe(true);
          await edge.setServers("web", [
            { name: "web-r1", port: a, weight: 64, state: "ready" },
            { name: "web-r2", port: b, weight: 192, state: "ready" },
          ]);
          const stats = (await edge.stats()).filter((s) => s.backend === "web");
          expect(stats.map((s) => [s.server, s.weight]).sort()).toEqual([
            ["web-r1", 64],
            ["web-r2", 192],
          ]);
          for (const s of stats) expect(s.requests).toBe(0);
          expect(Object.keys(await edge.sessions("web")).sort()).toEqual(["web-r1", "web-r2"]);
          // Every server of the new revision is marked canary (forced requests reach one of them).
          await edge.setServers("web", [
            { name: "web-r1", port: a, weight: 256, state: "ready" },
            { name: "web-r2", port: b, weight: 0, state: "ready", canary: true },
          ]);
          expect(
            (await edge.stats())
              .filter((s) => s.backend === "web")
              .map((s) => s.weight)
              .sort(),
          ).toEqual([0, 256]);
          expect(await edge.ensure(config)).toEqual({ pid: first.pid, adopted: true });
        } finally {
          await edge.stop();
        }
        expect(await edge.isRunning()).toBe(false);
      });
    });

    describe("add-ons", () => {
      it("ensure is idempotent, the connection env names its port, stop stops it", async () => {
        const { config, record, urlVariable } = fx.addon;
        const first = await fx.driver.addons.ensure(config, record);
        try {
          expect(await fx.driver.addons.ensure(config, record)).toEqual({ pid: first.pid, adopted: true });
          const env = fx.driver.addons.connectionEnv(config, record);
          expect(env[urlVariable]).toContain(`127.0.0.1:${record.port}`);
          expect(fx.driver.addons.connectionEnv(config, record)).toEqual(env);
          expect((await fx.driver.addons.describe(record)).running).toBe(true);
        } finally {
          await fx.driver.addons.stop(record);
        }
        expect((await fx.driver.addons.describe(record)).running).toBe(false);
      });
    });

    describe("backups", () => {
      const restored: AddonRecord[] = [];
      afterAll(async () => {
        const { postgres, redis } = fx.backups;
        for (const r of restored) await fx.driver.addons.stop(r).catch(() => {});
        await fx.driver.backups.unprotect(fx.backups.repo).catch(() => {});
        await fx.driver.backups.detach();
        await fx.driver.addons.stop(postgres.record).catch(() => {});
        await fx.driver.addons.stop(redis.record).catch(() => {});
      });

      it("protects once (again is a no-op); a base backup is listed, verified, with a window, after it is taken", async () => {
        const { postgres, repo } = fx.backups;
        await fx.driver.addons.ensure(postgres.config, postgres.record);
        expect(await fx.driver.backups.protect(postgres.record, repo)).toEqual({ started: true });
        expect(await fx.driver.backups.protect(postgres.record, repo)).toEqual({ started: false });
        await fx.driver.backups.heartbeat(postgres.record, postgres.config.databases, Date.now());
        const base = await fx.driver.backups.createBase(postgres.record, repo);
        expect(base.verified).toBe(true);
        const listed = await fx.driver.backups.list(postgres.record, repo);
        expect(listed.backups.map((b) => b.id)).toContain(base.id);
        expect(listed.streaming).toBe(true);
        expect(listed.window?.earliest).toBeLessThanOrEqual(listed.window!.latest);
      });

      it("restores into a new instance holding the heartbeats; the live one keeps running where it was", async () => {
        const { postgres, repo } = fx.backups;
        const beat = Date.now();
        await fx.driver.backups.heartbeat(postgres.record, postgres.config.databases, beat);
        await fx.driver.backups.sealWal(postgres.record, repo);
        const into = await fx.backups.into("pg");
        const copy = await fx.driver.backups.restore(postgres.record, repo, {
          target: { kind: "latest" },
          into,
        });
        restored.push(copy.record);
        expect(copy.record).toMatchObject({ ...into, name: postgres.record.name, kind: "postgres" });
        const check = await fx.driver.backups.check(copy.record, postgres.config.databases, []);
        expect(check.newestHeartbeatAt).toBeGreaterThanOrEqual(beat - 1);
        const live = await fx.driver.addons.describe(postgres.record);
        expect(live).toMatchObject({ running: true, port: postgres.record.port });
        await fx.driver.backups.discard(copy.record);
        expect((await fx.driver.addons.describe(copy.record)).running).toBe(false);
      });

      it("refuses a repository under another key with SLW_BACKUP_KEY", async () => {
        const { postgres, repo } = fx.backups;
        const wrong = { ...repo, key: randomBytes(32) };
        await expect(fx.driver.backups.list(postgres.record, wrong)).rejects.toMatchObject({
          code: "SLW_BACKUP_KEY",
        });
        await expect(fx.driver.backups.protect(postgres.record, wrong)).rejects.toMatchObject({
          code: "SLW_BACKUP_KEY",
        });
      });

      it("snapshots redis: listed after it is taken, restored into a new instance; a missing id is SLW_NOT_FOUND", async () => {
        const { redis, repo } = fx.backups;
        const redisRepo = { ...repo, location: `${repo.location}-redis` };
        await fx.driver.addons.ensure(redis.config, redis.record);
        expect(await fx.driver.backups.listRedis(redis.record, redisRepo)).toEqual([]);
        const snap = await fx.driver.backups.snapshotRedis(redis.record, redisRepo);
        expect((await fx.driver.backups.listRedis(redis.record, redisRepo)).map((s) => s.id)).toEqual([
          snap.id,
        ]);
        const into = await fx.backups.into("redis");
        const copy = await fx.driver.backups.restoreRedis(redis.config, redis.record, redisRepo, {
          id: snap.id,
          into,
        });
        restored.push(copy.record);
        expect(copy).toMatchObject({ snapshot: snap.id, record: { ...into, kind: "redis" } });
        expect((await fx.driver.addons.describe(redis.record)).running).toBe(true);
        await expect(
          fx.driver.backups.restoreRedis(redis.config, redis.record, redisRepo, {
            id: "no-such-snapshot",
            into: await fx.backups.into("redis-missing"),
          }),
        ).rejects.toMatchObject({ code: "SLW_NOT_FOUND" });
        await fx.driver.backups.removeRedis(redis.record, redisRepo, [snap.id]);
        expect(await fx.driver.backups.listRedis(redis.record, redisRepo)).toEqual([]);
      });
    });

    describe("builder", () => {
      it("the same tree is the same build, cached; another tree another build", async () => {
        const content = `conformance ${randomBytes(4).toString("hex")}`;
        const progress = () => {};
        const dir = await fx.sourceTree(content);
        const first = await fx.driver.builder.build({ sourceDir: dir, progress });
        expect(first.cached).toBe(false);
        const again = await fx.driver.builder.build({ sourceDir: await fx.sourceTree(content), progress });
        expect(again).toMatchObject({ id: first.id, cached: true, location: first.location });
        const other = await fx.driver.builder.build({
          sourceDir: await fx.sourceTree(`${content}!`),
          progress,
        });
        expect(other.id).not.toBe(first.id);
      });
    });
  });
}

/** A job's outcome once it is no longer running (at once on the fake; a real job takes a moment). */
async function settled(read: () => JobOutcome): Promise<JobOutcome> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const outcome = read();
    if (outcome.state !== "running" || Date.now() > deadline) return outcome;
    await sleep(50);
  }
}
