import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../src";
import { backends } from "./backends";

describe.each(backends())("secrets and flags on $name", (backend) => {
  let store: Store;
  let envId: string;
  beforeAll(async () => {
    store = await openStore(await backend.open());
    envId = (
      await store.environments.ensure(await store.environments.upsertStack("shop", "/tmp/shop"), "prod")
    ).id;
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  const sealed = (n: number) => ({
    environmentId: envId,
    name: "JWT_SECRET",
    ciphertext: `sealed-${n}`,
    wrappedKey: `wrapped-${n}`,
    keyId: "k1",
    createdBy: "alice",
  });

  it("adds secret versions in order, and lets only one of two racing rotations win", async () => {
    expect(await store.secrets.add(sealed(1), 0)).toBe(1);
    const racing = await Promise.all([store.secrets.add(sealed(2), 1), store.secrets.add(sealed(3), 1)]);
    expect(racing.filter((v) => v === 2)).toHaveLength(1);
    expect(racing.filter((v) => v === undefined)).toHaveLength(1);
    expect((await store.secrets.versions(envId, "JWT_SECRET")).map((v) => v.version)).toEqual([2, 1]);
  });

  it("lists secrets without any sealed material, and never lets a version be changed", async () => {
    const [meta] = await store.secrets.list(envId);
    expect(meta).toMatchObject({ name: "JWT_SECRET", version: 2, createdBy: "alice", keyId: "k1" });
    expect(JSON.stringify(meta)).not.toMatch(/sealed-|wrapped-/);
    await expect(store.sql.query("update secret_versions set ciphertext = 'x'")).rejects.toThrow(/immutable/);
  });

  it("sets flags with optimistic versions and keeps every change, newest first", async () => {
    expect(await store.flags.set(envId, "new-checkout", { on: true, percent: 10 }, 0, "alice")).toBe(1);
    expect(await store.flags.set(envId, "new-checkout", { on: true, percent: 50 }, 1, "bob")).toBe(2);
    // A writer that read version 1 lost the race: nothing changes.
    expect(await store.flags.set(envId, "new-checkout", { on: false }, 1, "carol")).toBeUndefined();
    expect(await store.flags.set(envId, "new-checkout", { on: false }, 0, "carol")).toBeUndefined();
    expect((await store.flags.list(envId))[0]).toMatchObject({
      state: { on: true, percent: 50 },
      version: 2,
    });
    const history = await store.flags.history(envId, "new-checkout");
    expect(history.map((h) => [h.version, h.actor])).toEqual([
      [2, "bob"],
      [1, "alice"],
    ]);
  });
});
