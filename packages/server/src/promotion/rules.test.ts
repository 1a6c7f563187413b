import { openStore, type Store } from "@slipway/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upstreamOf } from "./rules";

describe("upstreamOf", () => {
  let store: Store;
  let stackId: string;
  beforeAll(async () => {
    store = await openStore(); // PGlite in memory
    stackId = await store.environments.upsertStack("shop", "/tmp/shop");
  });
  afterAll(() => store.close());

  /** Releases `builds` one after another in a fresh environment; each rollout ends in `phase` at minute i. */
  async function history(
    env: string,
    steps: { build: string; phase: "succeeded" | "failed"; minute: number }[],
  ) {
    const row = await store.environments.ensure(stackId, env);
    for (const s of steps) {
      await store.releases.upsertBuild({ id: s.build, stackId, source: "main", gitSha: null, dir: "/tmp" });
      const release = await store.releases.createRelease({
        environmentId: row.id,
        buildId: s.build,
        config: { services: {}, routes: [] },
        configHash: "h",
        description: "d",
        rollbackOf: null,
        jobStatus: "none",
      });
      const ro = (await store.rollouts.create({
        environmentId: row.id,
        kind: "deploy",
        fromReleaseId: null,
        toReleaseId: release.id,
        source: null,
        config: release.config,
        actor: "t",
      }))!;
      await store.rollouts.move(ro.id, "pending", s.phase);
      await store.sql.query("update rollouts set updated_at = $2, created_at = $2 where id = $1", [
        ro.id,
        new Date(Date.UTC(2026, 10, 30, 12, s.minute)).toISOString(),
      ]);
    }
    return (await store.environments.get(stackId, env))!;
  }
  const at = (minute: number) => Date.UTC(2026, 10, 30, 12, minute);

  it("counts from when the build went live, and stops when another build replaced it", async () => {
    const env = await history("staging", [
      { build: "a", phase: "succeeded", minute: 0 },
      { build: "b", phase: "succeeded", minute: 10 },
      { build: "c", phase: "failed", minute: 20 },
    ]);
    expect(await upstreamOf(store, env, "a")).toEqual({ succeededAt: at(0), replacedAt: at(10) });
    expect(await upstreamOf(store, env, "b")).toEqual({ succeededAt: at(10), replacedAt: null });
  });

  it("knows no success for a build whose release failed, or an environment never deployed", async () => {
    const env = await history("dev", [{ build: "x", phase: "failed", minute: 0 }]);
    expect(await upstreamOf(store, env, "x")).toEqual({ succeededAt: null, replacedAt: null });
    expect(await upstreamOf(store, undefined, "x")).toEqual({ succeededAt: null, replacedAt: null });
  });

  it("starts a new stretch when a build comes back (a rollback to it)", async () => {
    const env = await history("qa", [
      { build: "p", phase: "succeeded", minute: 0 },
      { build: "q", phase: "succeeded", minute: 5 },
      { build: "p", phase: "succeeded", minute: 30 },
    ]);
    expect(await upstreamOf(store, env, "p")).toEqual({ succeededAt: at(30), replacedAt: null });
  });
});
