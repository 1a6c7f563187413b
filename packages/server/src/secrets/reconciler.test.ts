import { randomBytes } from "node:crypto";
import type { ReleaseConfig } from "@slipway/core";
import { openStore, type Store } from "@slipway/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context";
import { masterKeyProvider } from "./master-key";
import { SecretsReconciler } from "./reconciler";
import { secretVault } from "./vault";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The secrets reconciler, one tick at a time on an injected clock: given a live release that
 * publishes JWT_SECRET v1, when v2 is stored it makes one restart release publishing v2 with v1
 * as JWT_SECRET_PREVIOUS; once the overlap is over, one without it; a secret past its maxAge
 * raises one `secret.overdue` alert per version.
 */
describe("secrets reconciler", () => {
  let store: Store;
  let ctx: Ctx;
  let envId: string;
  let now = Date.now();
  const kicked: string[] = [];
  let reconciler: SecretsReconciler;

  const config: ReleaseConfig = {
    services: {
      auth: {
        type: "web",
        command: ["node", "a.js"],
        env: {},
        replicas: 1,
        uses: [],
        calls: [],
        drainSeconds: 5,
      },
    },
    routes: [],
    secrets: { JWT_SECRET: { services: ["auth"], version: 1, overlapHours: 2, maxAgeDays: 90 } },
  };
  /** What the executor would do: the rollout's release goes live. */
  const finish = async (rolloutId: string) => {
    const r = (await store.rollouts.get(rolloutId))!;
    const env = (await store.environments.list())[0]!;
    await store.environments.switchLive(env.id, env.liveReleaseId, r.toReleaseId!);
    await store.rollouts.move(r.id, "pending", "succeeded");
  };
  const live = async () => {
    const env = (await store.environments.list())[0]!;
    return (await store.releases.getRelease(env.liveReleaseId!))!;
  };

  beforeAll(async () => {
    store = await openStore({});
    const stackId = await store.environments.upsertStack("shop", "/tmp/shop");
    const env = await store.environments.ensure(stackId, "local");
    envId = env.id;
    await store.environments.setDesired(envId, "active");
    const vault = secretVault(store, masterKeyProvider("/nonexistent", randomBytes(32).toString("base64")));
    ctx = {
      store,
      vault,
      stackId,
      now: () => now,
      event: (e: Parameters<Ctx["event"]>[0]) =>
        store.events.append({ actor: "test", data: {}, ...e }).then(() => {}),
    } as unknown as Ctx;
    await vault.add(envId, "JWT_SECRET", "first", "alice");
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
    reconciler = new SecretsReconciler(ctx, (id) => kicked.push(id));
  });
  afterAll(async () => store?.close());

  it("does nothing while the live release publishes the newest version", async () => {
    await reconciler.tick();
    expect(kicked).toEqual([]);
  });

  it("publishes a new version with the old one as NAME_PREVIOUS, through one rollout", async () => {
    await ctx.vault.add(envId, "JWT_SECRET", "second", "alice");
    now = Date.now();
    await reconciler.tick();
    await reconciler.tick(); // the rollout is in flight: no second one
    expect(kicked).toHaveLength(1);
    const rollout = (await store.rollouts.get(kicked[0]!))!;
    expect(rollout).toMatchObject({ kind: "restart", actor: "secrets" });
    const release = (await store.releases.getRelease(rollout.toReleaseId!))!;
    expect(release.buildId).toBe("b1");
    expect(release.jobStatus).toBe("none");
    expect(release.config.secrets!.JWT_SECRET).toMatchObject({ version: 2, previous: 1 });
    expect(release.description).toContain("JWT_SECRET v2 published (v1 stays as JWT_SECRET_PREVIOUS");
    await finish(rollout.id);
  });

  it("withdraws NAME_PREVIOUS once the overlap is over, and not before", async () => {
    now += HOUR;
    await reconciler.tick();
    expect(kicked).toHaveLength(1);
    now += 2 * HOUR;
    await reconciler.tick();
    expect(kicked).toHaveLength(2);
    await finish(kicked[1]!);
    const refs = (await live()).config.secrets!.JWT_SECRET!;
    expect(refs.version).toBe(2);
    expect(refs.previous).toBeUndefined();
    await reconciler.tick();
    expect(kicked).toHaveLength(2);
  });

  it("raises one overdue alert per version once it is older than maxAgeDays", async () => {
    const overdue = async () =>
      (await store.events.list({ limit: 1000 })).filter((e) => e.kind === "secret.overdue");
    now += 89 * DAY;
    await reconciler.tick();
    expect(await overdue()).toEqual([]);
    now += 2 * DAY;
    await reconciler.tick();
    await reconciler.tick();
    const alerts = await overdue();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ subject: "secret:local/JWT_SECRET", data: { version: 2 } });
    expect(alerts[0]!.message).toContain("JWT_SECRET in local is overdue for rotation");
  });
});
