import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_BACKUP_POLICY, isSlipwayError, type ReleaseConfig } from "@slipway/core";
import { fakeDriver } from "@slipway/driver-fake";
import { openStore, type Store } from "@slipway/store";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context";
import { statePaths } from "../paths";
import { SecretBox } from "../secret-box";
import { HeartbeatWriter } from "./heartbeat";
import { backupOperations } from "./operations";
import { BackupReconciler } from "./reconciler";
import { movedAddons, recordSwitches, stopProtectingReplaced } from "./switch";

const SEC = 1_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The backups reconciler one tick at a time on the fake driver's clock: given a live release
 * with a postgres add-on, it protects it and takes a first base backup at once, the next a day
 * later, applies retention, drills a month after the first backup (RPO from the newest
 * heartbeat, an alert over target), and a failing verification query fails the drill loudly.
 */
describe("backups reconciler", () => {
  let store: Store;
  let ctx: Ctx;
  let envId: string;
  const { driver, world } = fakeDriver();
  const clock = world.clock;
  let reconciler: BackupReconciler;
  let heartbeat: HeartbeatWriter;
  const ops = () => backupOperations(ctx);
  const kinds = async () => (await store.events.list({ limit: 200 })).map((e) => e.kind);
  const runs = async (kind: string) =>
    (await store.backupRuns.list(envId, "db", 100)).filter((r) => r.kind === kind);

  const config: ReleaseConfig = {
    services: {},
    routes: [],
    addons: { db: { type: "postgres", version: 15, databases: ["shop"] } },
    backup: { ...DEFAULT_BACKUP_POLICY, rpoTargetSeconds: 5, verify: ["select count(*) from orders"] },
  };

  beforeAll(async () => {
    store = await openStore({});
    const project = mkdtempSync("/tmp/slipway-backup-reconciler-");
    const stackId = await store.environments.upsertStack("shop", project);
    const env = await store.environments.ensure(stackId, "local");
    envId = env.id;
    await store.environments.setDesired(envId, "active");
    const box = SecretBox.open(join(project, "master.key"));
    ctx = {
      store,
      box,
      driver,
      stackId,
      paths: statePaths(project),
      log: pino({ level: "silent" }),
      now: () => clock.now(),
      event: (e: Parameters<Ctx["event"]>[0]) =>
        store.events.append({ actor: "test", data: {}, ...e }).then(() => {}),
    } as unknown as Ctx;
    await store.environments.insertAddon({
      id: `${envId}/db`,
      environmentId: envId,
      name: "db",
      kind: "postgres",
      port: 5999,
      passwordSealed: box.seal("pw", `${envId}/db`),
      dataDir: join(project, "addons/db"),
    });
    await store.releases.upsertBuild({ id: "b1", stackId, source: "test", gitSha: null, dir: "/tmp/b1" });
    const v1 = await store.releases.createRelease({
      environmentId: envId,
      buildId: "b1",
      config,
      configHash: "h1",
      description: "v1",
      rollbackOf: null,
      jobStatus: "none",
    });
    await store.environments.switchLive(envId, null, v1.id);
    reconciler = new BackupReconciler(ctx, ops());
    heartbeat = new HeartbeatWriter(ctx);
  });
  afterAll(() => store.close());

  it("protects the add-on and takes a first base backup on the first tick, no drill yet", async () => {
    await reconciler.tick();
    expect(world.calls).toEqual(["protect local/db", "createBase local/db"]);
    expect(await kinds()).toEqual(expect.arrayContaining(["backup.protected", "backup.created"]));
    expect((await runs("base")).map((r) => r.state)).toEqual(["succeeded"]);
    await reconciler.tick();
    expect(world.calls.filter((c) => c.startsWith("createBase"))).toHaveLength(1);
  });

  it("takes the next base backup a day after the last", async () => {
    clock.advance(DAY - SEC);
    await reconciler.tick();
    expect(await runs("base")).toHaveLength(1);
    clock.advance(SEC);
    await reconciler.tick();
    expect(await runs("base")).toHaveLength(2);
  });

  it("restores into a new instance with exactly the heartbeats before the target, and refuses one outside the window", async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(SEC);
      await heartbeat.beat();
    }
    const beats = world.heartbeats.get(join(ctx.paths.root, "..", "addons/db"))!;
    const restored = await ops().restore("local", { to: new Date(beats[2]!).toISOString() }, "alice");
    expect(restored.restoredTo.newestHeartbeatAt).toBe(new Date(beats[2]!).toISOString());
    expect(restored.instance.dataDir).toContain("/envs/local/restores/db-");
    const refused = await ops()
      .restore("local", { to: "2001-01-01T00:00:00Z" }, "alice")
      .catch((e: unknown) => e);
    expect(isSlipwayError(refused) && refused.code).toBe("SLW_RESTORE_OUT_OF_WINDOW");
    expect((refused as Error).message).toMatch(/recoverable window is 2026-/);
    const bad = await ops()
      .restore("local", { to: "yesterday" }, "alice")
      .catch((e: unknown) => e);
    expect(isSlipwayError(bad) && bad.detail).toEqual({ field: "to" });
  });

  it("switches the add-on to a restored copy only when confirmed, with a new release rolled out", async () => {
    const unconfirmed = await ops()
      .restore("local", { to: "latest", switch: true }, "alice")
      .catch((e: unknown) => e);
    expect(isSlipwayError(unconfirmed) && unconfirmed.detail).toEqual({ field: "confirm" });
    const before = (await store.environments.addons(envId))[0]!;
    const kicked: string[] = [];
    clock.advance(SEC);
    const switched = await backupOperations(ctx, (id) => kicked.push(id)).restore(
      "local",
      { to: "latest", switch: true, confirm: true },
      "alice",
    );
    // The release records the copy; the add-on still points at the live instance until it goes live.
    expect((await store.environments.addons(envId))[0]).toMatchObject({ dataDir: before.dataDir });
    expect(kicked).toEqual([switched.switched!.rollout]);
    const rollout = (await store.rollouts.get(kicked[0]!))!;
    const release = (await store.releases.getRelease(rollout.toReleaseId!))!;
    expect(release).toMatchObject({ buildId: "b1", jobStatus: "none" });
    const copy = { dataDir: switched.instance.dataDir, port: switched.instance.port };
    expect(release.addonInstances).toEqual({ db: copy });
    expect(release.description).toContain("switched to the copy restored to");
    expect(await kinds()).toContain("backup.switched");
    // While the rollout runs, the original stays protected and takes no base backup for the copy.
    expect((await runs("restore"))[0]).toMatchObject({ switchedAt: null });
    const basesBefore = (await runs("base")).length;
    clock.advance(SEC);
    await reconciler.tick();
    expect(await runs("base")).toHaveLength(basesBefore);
    // What the rollout's switch does: the release goes live, the add-on follows it onto the copy
    // (the copy marked switched to, in the same transaction), and the replaced instance stops
    // streaming into its repository.
    const from = (await store.releases.getRelease(rollout.fromReleaseId!))!;
    const moved = movedAddons([before], from.addonInstances, release);
    clock.advance(SEC);
    await store.transaction(async (tx) => {
      await tx.environments.switchLive(envId, rollout.fromReleaseId, release.id);
      await tx.environments.pointAddonsAt(envId, release.addonInstances!);
      await recordSwitches(tx, moved, clock.now());
    });
    await stopProtectingReplaced(ctx, (await store.environments.get(ctx.stackId, "local"))!, moved);
    const [run] = await runs("restore");
    expect(run!.replaced).toEqual({ dataDir: before.dataDir, port: before.port });
    expect(run!.switchedAt).not.toBeNull();
    await store.rollouts.move(rollout.id, "pending", "succeeded");
    expect((await store.environments.addons(envId))[0]).toMatchObject(copy);
    expect(world.calls).toContain(`unprotect ${ctx.paths.env("local").backups("db")}`);
    // The next tick protects the copy into its own repository and takes its first base backup.
    const bases = (await runs("base")).length;
    await reconciler.tick();
    expect(world.calls).toContain(`protect local/db`);
    expect(await runs("base")).toHaveLength(bases + 1);
  });

  it("drills a month after the first backup: RPO from the newest heartbeat, an alert over target, the copy removed", async () => {
    world.failingQueries.clear();
    clock.advance(30 * DAY - DAY);
    await heartbeat.beat();
    clock.advance(10 * SEC); // heartbeats stopped 10 s before the drill: RPO 10 s > 5 s target
    await reconciler.tick();
    const [drill] = await runs("drill");
    expect(drill).toMatchObject({ state: "succeeded", rpoMs: 10 * SEC, overTarget: true });
    expect(world.calls.filter((c) => c.startsWith("discard"))).toHaveLength(1);
    expect(await kinds()).toEqual(
      expect.arrayContaining(["backup.drill.passed", "backup.drill.over-target"]),
    );
  });

  it("applies retention: backups older than the period (but the one reaching into it) go", async () => {
    clock.advance(40 * DAY);
    await reconciler.tick();
    expect(await kinds()).toContain("backup.expired");
    const repo = [...world.repositories.values()][0]!;
    expect(repo.backups.length).toBeLessThan((await runs("base")).length);
  });

  it("a failing verification query fails the drill loudly; it is recorded and alerted", async () => {
    world.failingQueries.add("select count(*) from orders");
    clock.advance(SEC);
    const discards = () => world.calls.filter((c) => c.startsWith("discard")).length;
    const discarded = discards();
    const failed = await ops()
      .drill("local", undefined, "alice")
      .catch((e: unknown) => e);
    expect(isSlipwayError(failed) && failed.code).toBe("SLW_DRILL_FAILED");
    expect((failed as Error).message).toContain("select count(*) from orders");
    const [last] = await runs("drill");
    expect(last).toMatchObject({ state: "failed", requestedBy: "alice" });
    expect(await kinds()).toContain("backup.drill.failed");
    expect(discards()).toBe(discarded + 1);
  });
});
