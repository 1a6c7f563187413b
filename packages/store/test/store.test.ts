import type { ReleaseConfig } from "@slipway/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../src";
import { backends } from "./backends";

/** A release config that differs by one route: the store keeps it as given. */
const configWith = (path: string): ReleaseConfig => ({
  services: {},
  routes: [{ path: `/${path}`, service: "web" }],
});

describe.each(backends())("store on $name", (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(await backend.open());
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  it("numbers releases per environment and keeps them immutable in content", async () => {
    const stackId = await store.environments.upsertStack("shop", "/tmp/shop");
    const env = await store.environments.ensure(stackId, "local");
    await store.releases.upsertBuild({ id: "b1", stackId, source: "working tree", gitSha: null, dir: "/x" });
    const base = {
      environmentId: env.id,
      buildId: "b1",
      configHash: "h",
      rollbackOf: null,
      jobStatus: "none" as const,
    };
    const v1 = await store.releases.createRelease({ ...base, config: configWith("a"), description: "first" });
    const v2 = await store.releases.createRelease({
      ...base,
      config: configWith("b"),
      description: "second",
    });
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expect(v2.config).toEqual(configWith("b"));
    const other = await store.environments.ensure(stackId, "staging");
    const s1 = await store.releases.createRelease({
      ...base,
      environmentId: other.id,
      config: configWith("s"),
      description: "s",
    });
    expect(s1.number).toBe(1);
  });

  it("refuses, in the database itself, any change to a release but its job's progress", async () => {
    const env = (await store.environments.get("shop", "local"))!;
    const [, v1] = await store.releases.list(env.id);
    await store.releases.upsertBuild({
      id: "b2",
      stackId: env.stackId,
      source: "x",
      gitSha: null,
      dir: "/y",
    });
    const edits = [
      "build_id = 'b2'",
      `config = '{"a": 99}'`,
      "config_hash = 'other'",
      "number = 42",
      "description = 'rewritten'",
      "environment_id = 'elsewhere'",
      "rollback_of = id",
      "created_at = created_at - interval '1 day'",
      `addon_instances = '{"db": {"dataDir": "/elsewhere", "port": 1}}'`,
    ];
    for (const edit of edits)
      await expect(
        store.sql.query(`update releases set ${edit} where id = $1`, [v1!.id]),
        edit,
      ).rejects.toThrow(/immutable/);
    // What a release job does to it still works, through the store and in plain SQL.
    expect(await store.releases.moveJob(v1!.id, "none", "running", { pid: 123 })).toBe(true);
    expect(await store.releases.moveJob(v1!.id, "running", "succeeded", { exit: 0 })).toBe(true);
    await store.sql.query("update releases set job_pid = null where id = $1", [v1!.id]);
    const after = await store.releases.getRelease(v1!.id);
    expect(after).toMatchObject({
      buildId: "b1",
      config: configWith("a"),
      configHash: "h",
      jobStatus: "succeeded",
    });
  });

  it("records the add-on instances a release uses, and moves the add-ons onto a release's", async () => {
    const env = await store.environments.ensure("shop", "instances");
    await store.environments.insertAddon({
      id: `${env.id}/db`,
      environmentId: env.id,
      name: "db",
      kind: "postgres",
      port: 5000,
      passwordSealed: "sealed",
      dataDir: "/envs/instances/addons/db",
    });
    const base = {
      environmentId: env.id,
      buildId: "b1",
      configHash: "h",
      rollbackOf: null,
      jobStatus: "none" as const,
    };
    const original = { db: { dataDir: "/envs/instances/addons/db", port: 5000 } };
    const copy = { db: { dataDir: "/envs/instances/restores/db/bkr_1", port: 5001 } };
    // Made without instances: the ones the add-ons point at now. Given: those.
    const v1 = await store.releases.createRelease({ ...base, config: configWith("a"), description: "v1" });
    const v2 = await store.releases.createRelease({
      ...base,
      config: configWith("a"),
      description: "switch",
      addonInstances: copy,
    });
    expect(v1.addonInstances).toEqual(original);
    expect(v2.addonInstances).toEqual(copy);
    await store.environments.setAddonPid(`${env.id}/db`, 42);
    await store.environments.pointAddonsAt(env.id, copy);
    expect((await store.environments.addons(env.id))[0]).toMatchObject({ ...copy.db, pid: null });
    await store.environments.pointAddonsAt(env.id, original);
    await store.environments.setAddonPid(`${env.id}/db`, 43);
    await store.environments.pointAddonsAt(env.id, original);
    expect((await store.environments.addons(env.id))[0]).toMatchObject({ ...original.db, pid: 43 });
    // An environment without add-ons: a release records none.
    const bare = await store.environments.ensure("shop", "bare");
    const b1 = await store.releases.createRelease({
      ...base,
      environmentId: bare.id,
      config: configWith("a"),
      description: "b",
    });
    expect(b1.addonInstances).toBeNull();
  });

  it("allows one rollout in flight per environment, and moves phases only from the expected one", async () => {
    const env = (await store.environments.get("shop", "local"))!;
    const r = await store.rollouts.create({
      environmentId: env.id,
      kind: "deploy",
      fromReleaseId: null,
      toReleaseId: null,
      source: "working tree",
      config: configWith("a"),
      actor: "test",
    });
    expect(r?.phase).toBe("pending");
    const second = await store.rollouts.create({
      environmentId: env.id,
      kind: "deploy",
      fromReleaseId: null,
      toReleaseId: null,
      source: null,
      config: configWith("a"),
      actor: "test",
    });
    expect(second).toBeUndefined();
    expect(await store.rollouts.move(r!.id, "pending", "building")).toBe(true);
    expect(await store.rollouts.move(r!.id, "pending", "failed")).toBe(false);
    expect(
      await store.rollouts.move(r!.id, "building", "failed", { error: { code: "X", message: "m" } }),
    ).toBe(true);
    expect((await store.rollouts.get(r!.id))?.error?.code).toBe("X");
  });

  it("switches the live release only from the release the caller saw", async () => {
    const env = (await store.environments.get("shop", "local"))!;
    const [v2, v1] = await store.releases.list(env.id);
    expect(await store.environments.switchLive(env.id, null, v1!.id)).toBe(true);
    expect(await store.environments.switchLive(env.id, null, v2!.id)).toBe(false);
    expect(await store.environments.switchLive(env.id, v1!.id, v2!.id)).toBe(true);
  });

  it("stores tokens hashed and verifies them", async () => {
    const { token, row } = await store.tokens.create("ci", "deployer");
    expect((await store.tokens.verify(token))?.role).toBe("deployer");
    expect(await store.tokens.verify(`${token}x`)).toBeUndefined();
    const raw = await store.sql.query<{ hash: string }>("select hash from tokens where id = $1", [row.id]);
    expect(raw[0]!.hash).not.toContain(token);
  });

  it("keeps revoked and expired tokens, saying which, and revokes each once", async () => {
    const { token, row } = await store.tokens.create("robot", "viewer", {
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    expect(row.expiresAt).toMatch(/^\d{4}-/);
    expect(row).not.toHaveProperty("hash");
    expect((await store.tokens.revoke(row.id))?.revokedAt).toBeTruthy();
    expect(await store.tokens.revoke(row.id)).toBeUndefined();
    expect((await store.tokens.verify(token))?.revokedAt).toBeTruthy();
    expect((await store.tokens.find("robot")).map((t) => t.id)).toEqual([row.id]);
    expect((await store.tokens.list()).some((t) => t.id === row.id && t.revokedAt)).toBe(true);
    const admin = await store.tokens.create("root", "admin", { expiresAt: new Date(Date.now() - 1000) });
    expect(await store.tokens.otherUsableAdmins("none")).toBe(0);
    await store.tokens.create("root2", "admin");
    expect(await store.tokens.otherUsableAdmins(admin.row.id)).toBe(1);
  });

  it("pages events newest first and finds a subject's events whatever else the log holds", async () => {
    const first = await store.events.append({
      actor: "t",
      kind: "rollout.x",
      subject: "ro_1",
      message: "start",
    });
    await store.sql.query(
      "insert into events (actor, kind, subject, message) select 'seed', 'seed', 'seed', 'n' || g from generate_series(1, 12000) g",
    );
    const last = await store.events.append({
      actor: "t",
      kind: "rollout.y",
      subject: "ro_1",
      message: "end",
    });
    expect((await store.events.about(["ro_1", "rel_1"])).map((e) => e.seq)).toEqual([first, last]);
    const page = await store.events.list({ limit: 3 });
    expect(page.map((e) => e.seq)).toEqual([last, last - 1, last - 2]);
    const older = await store.events.list({ limit: 2, before: page[2]!.seq });
    expect(older.map((e) => e.seq)).toEqual([last - 3, last - 4]);
    expect((await store.events.list({ subject: "ro_1" })).map((e) => e.seq)).toEqual([last, first]);
  });

  it("keeps the event log append-only", async () => {
    const seq = await store.events.append({ actor: "t", kind: "test", subject: "shop/local", message: "m" });
    expect((await store.events.list({ after: seq - 1 }))[0]?.message).toBe("m");
    await expect(store.sql.query("update events set message = 'x'")).rejects.toThrow(/append-only/);
    await expect(store.sql.query("delete from events")).rejects.toThrow(/append-only/);
  });
});
