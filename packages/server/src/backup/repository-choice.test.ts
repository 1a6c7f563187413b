import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { type BackupRepo, DEFAULT_BACKUP_POLICY, type ReleaseConfig } from "@slipway/core";
import { fakeDriver } from "@slipway/driver-fake";
import { openStore, type Store } from "@slipway/store";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context";
import { statePaths } from "../paths";
import { SecretBox } from "../secret-box";
import { masterKeyProvider } from "../secrets/master-key";
import { secretVault } from "../secrets/vault";
import { backupOperations } from "./operations";
import { BackupReconciler } from "./reconciler";

const HOUR = 3_600_000;

/**
 * Which repository the reconciler hands the driver (the bucket add-on's connection, or an
 * external bucket with its credentials opened from the vault, never the spec), what happens
 * while the credentials have no value, and redis snapshots on the spec's schedule — one tick at
 * a time on the fake driver's clock.
 */
describe("backup repositories and redis snapshots in the reconciler", () => {
  let store: Store;
  let ctx: Ctx;
  let envId: string;
  let stackId: string;
  let release = 0;
  const { driver, world } = fakeDriver();
  const clock = world.clock;
  const protectedWith: BackupRepo[] = [];
  const protect = driver.backups.protect;
  driver.backups.protect = (record, repo) => {
    protectedWith.push(repo);
    return protect(record, repo);
  };
  const events = async (kind: string) =>
    (await store.events.list({ limit: 200 })).filter((e) => e.kind === kind).map((e) => e.message);
  const addons: ReleaseConfig["addons"] = {
    db: { type: "postgres", version: 15, databases: ["shop"] },
    files: { type: "bucket" },
    cache: {
      type: "redis",
      maxmemory: "16mb",
      evictionPolicy: "noeviction",
      persistence: false,
      backup: { snapshots: "hourly" },
    },
  };
  const goLive = async (backup: ReleaseConfig["backup"]) => {
    const v = await store.releases.createRelease({
      environmentId: envId,
      buildId: "b1",
      config: { services: {}, routes: [], addons, backup },
      configHash: `h${++release}`,
      description: `v${release}`,
      rollbackOf: null,
      jobStatus: "none",
    });
    const env = (await store.environments.get(stackId, "local"))!;
    await store.environments.switchLive(envId, env.liveReleaseId, v.id);
  };

  beforeAll(async () => {
    store = await openStore({});
    const project = mkdtempSync("/tmp/slipway-backup-repository-");
    stackId = await store.environments.upsertStack("shop", project);
    envId = (await store.environments.ensure(stackId, "local")).id;
    await store.environments.setDesired(envId, "active");
    const box = SecretBox.open(join(project, "master.key"));
    ctx = {
      store,
      box,
      vault: secretVault(store, masterKeyProvider(join(project, "master.key"))),
      driver,
      stackId,
      paths: statePaths(project),
      log: pino({ level: "silent" }),
      now: () => clock.now(),
      event: (e: Parameters<Ctx["event"]>[0]) =>
        store.events.append({ actor: "test", data: {}, ...e }).then(() => {}),
    } as unknown as Ctx;
    for (const [name, port] of [
      ["db", 5999],
      ["files", 6001],
      ["cache", 6002],
    ] as const)
      await store.environments.insertAddon({
        id: `${envId}/${name}`,
        environmentId: envId,
        name,
        kind: addons[name]!.type,
        port,
        passwordSealed: box.seal(`${name}-pw`, `${envId}/${name}`),
        dataDir: join(project, "addons", name),
      });
    await store.releases.upsertBuild({ id: "b1", stackId, source: "test", gitSha: null, dir: "/tmp/b1" });
  });
  afterAll(() => store.close());

  it("streams into the bucket add-on, reached with its own connection, under the environment's prefix", async () => {
    await goLive({ ...DEFAULT_BACKUP_POLICY, repository: { bucket: "files" } });
    await new BackupReconciler(ctx, backupOperations(ctx)).tick();
    const repo = protectedWith.at(-1)!;
    expect(repo.bucket).toMatchObject({
      endpoint: "http://127.0.0.1:6001",
      bucket: "files",
      prefix: "slipway-backups/local/db",
      forcePathStyle: true,
    });
    // The working directory stays local whichever the store.
    expect(repo.location).toMatch(/\/backups\/db$/);
  });

  it("with an external bucket whose credentials have no value: an alert naming the secret, nothing streamed", async () => {
    await goLive({
      ...DEFAULT_BACKUP_POLICY,
      repository: {
        bucket: "acme-backups",
        endpoint: "https://s3.example.com",
        prefix: "pg",
        credentials: { accessKeyId: "BK_ID", secretAccessKey: "BK_SECRET" },
      },
    });
    const before = protectedWith.length;
    const reconciler = new BackupReconciler(ctx, backupOperations(ctx));
    await reconciler.tick();
    await reconciler.tick();
    expect(protectedWith.length).toBe(before);
    const alerts = await events("backup.protection-failed");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^ALERT local: .*BK_ID has no value in local/);

    await ctx.vault.add(envId, "BK_ID", "AKIAEXAMPLE", "test");
    await ctx.vault.add(envId, "BK_SECRET", "s3cr3t-value", "test");
    const from = world.calls.length;
    await reconciler.tick();
    expect(protectedWith.at(-1)!.bucket).toEqual({
      endpoint: "https://s3.example.com",
      region: "us-east-1",
      bucket: "acme-backups",
      prefix: "pg/local/db",
      forcePathStyle: true,
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: "s3cr3t-value",
    });
    // The new repository holds no backup yet, whatever the store's history says: one is taken at once.
    expect(world.calls.slice(from)).toContain("createBase local/db");
    expect((await backupOperations(ctx).list("local")).addons[0]!.backups.map((b) => b.verified)).toEqual([
      true,
    ]);
    // The credentials are never in an event.
    const all = JSON.stringify(await store.events.list({ limit: 200 }));
    expect(all).not.toContain("s3cr3t-value");
  });

  it("snapshots redis on its schedule, keeps the newest through retention, lists them", async () => {
    await goLive({ ...DEFAULT_BACKUP_POLICY, retentionDays: 1 / 12 }); // two hours
    const reconciler = new BackupReconciler(ctx, backupOperations(ctx));
    const snapshots = () => world.calls.filter((c) => c === "snapshotRedis local/cache").length;
    const first = snapshots();
    // Back in the local directory (the earlier snapshots went to the buckets): none there yet.
    await reconciler.tick();
    expect(snapshots()).toBe(first + 1);
    clock.advance(HOUR - 1);
    await reconciler.tick();
    expect(snapshots()).toBe(first + 1);
    clock.advance(1);
    await reconciler.tick();
    expect(snapshots()).toBe(first + 2);
    clock.advance(5 * HOUR);
    await reconciler.tick();
    // Retention (two hours) kept only the snapshot just taken.
    const list = async () => (await backupOperations(ctx).list("local")).redis;
    expect((await list()).map((r) => [r.addon, r.every, r.snapshots.length])).toEqual([
      ["cache", "hourly", 1],
    ]);
    expect(await events("backup.expired")).toContainEqual(expect.stringMatching(/removed 2 RDB snapshots/));
    // A failed snapshot is an alert, and the one there is stays.
    clock.advance(HOUR);
    world.failOn("snapshotRedis local/cache", new Error("redis-cli: connection refused"));
    await reconciler.tick();
    expect(await events("backup.protection-failed")).toContainEqual(
      expect.stringMatching(/^ALERT local\/cache: .*connection refused/),
    );
    expect((await list())[0]!.snapshots).toHaveLength(1);
  });
});
