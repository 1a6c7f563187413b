import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../src";
import { backends } from "./backends";

describe.each(backends())("promotions on $name", (backend) => {
  let store: Store;
  let stackId: string;
  let releaseId: string;
  beforeAll(async () => {
    store = await openStore(await backend.open());
    stackId = await store.environments.upsertStack("shop", "/tmp/shop");
    const staging = await store.environments.ensure(stackId, "staging");
    await store.releases.upsertBuild({ id: "b1", stackId, source: "main", gitSha: null, dir: "/tmp/b1" });
    releaseId = (
      await store.releases.createRelease({
        environmentId: staging.id,
        buildId: "b1",
        config: { services: {}, routes: [] },
        configHash: "h",
        description: "deploy",
        rollbackOf: null,
        jobStatus: "none",
      })
    ).id;
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  const awaiting = () =>
    store.promotions.create({
      stackId,
      fromEnv: "staging",
      toEnv: "prod",
      buildId: "b1",
      fromReleaseId: releaseId,
      state: "awaiting-approval",
      requestedBy: "bob",
      rolloutId: null,
    });

  it("lets one promotion wait per environment, and decides it once", async () => {
    const p = (await awaiting())!;
    expect(await awaiting()).toBeUndefined();
    const racing = await Promise.all([
      store.promotions.decide(p.id, "rejected", "alice", { reason: "leaks" }),
      store.promotions.decide(p.id, "released", "carol"),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect((await store.promotions.get(p.id))!.state).not.toBe("awaiting-approval");
    expect(await awaiting()).toBeDefined(); // the next one may wait now
  });

  it("keeps a build's first rejection forever", async () => {
    await store.promotions.rejectBuild("b1", "alice", "leaks memory");
    await store.promotions.rejectBuild("b1", "mallory", "changed my mind");
    expect(await store.promotions.rejection("b1")).toMatchObject({
      rejectedBy: "alice",
      reason: "leaks memory",
    });
  });

  it("holds, lifts, and records auto-deploy enablement per environment", async () => {
    await store.promotions.hold(stackId, "staging", "bob", "promoted v3 by hand");
    expect(await store.promotions.holds(stackId)).toMatchObject([{ env: "staging", heldBy: "bob" }]);
    expect(await store.promotions.liftHold(stackId, "staging")).toBe(true);
    expect(await store.promotions.liftHold(stackId, "staging")).toBe(false);
    await store.promotions.enableAutoDeploy(stackId, "dev", "/srv/repo", "admin");
    await store.promotions.markSeen(stackId, ["dev"], "abc");
    expect(await store.promotions.autoDeploys(stackId)).toMatchObject([{ env: "dev", lastSha: "abc" }]);
    expect(await store.promotions.disableAutoDeploy(stackId, "dev")).toBe(true);
  });

  it("accepts the approver role for tokens", async () => {
    const { row } = await store.tokens.create("alice", "approver");
    expect(row.role).toBe("approver");
  });
});
