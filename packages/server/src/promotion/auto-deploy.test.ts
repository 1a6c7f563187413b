import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openStore, type RolloutRow, type Store } from "@slipway/store";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ctx } from "../context";
import { AutoDeployer, type AutoDeployPorts } from "./auto-deploy";

const SHA = "a".repeat(40);

/**
 * The chain's logic one tick at a time: a real store and spec, the ports it is given (git,
 * deploy, promote, wait) answered in memory, recording what was asked.
 */
describe("AutoDeployer.tick", () => {
  let dir: string;
  let store: Store;
  let ctx: Ctx;
  let asked: string[];
  let outcome: Record<string, RolloutRow["phase"]>;
  let awaitsApproval: boolean;

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/slipway-autodeploy-");
    mkdirSync(join(dir, "node_modules", "@slipway"), { recursive: true });
    symlinkSync(resolve(import.meta.dirname, "../../../spec"), join(dir, "node_modules", "@slipway", "spec"));
    writeFileSync(
      join(dir, "slipway.config.ts"),
      `import { defineStack } from "@slipway/spec";
export default defineStack({
  name: "shop",
  services: { web: { type: "web", command: ["node", "web.mjs"] } },
  environments: {
    dev: { autoDeploy: { branch: "main" } },
    staging: { autoDeploy: { branch: "main" }, promotesFrom: "dev" },
    prod: { promotesFrom: "staging", requiresApproval: true },
  },
});
`,
    );
    store = await openStore();
    const stackId = await store.environments.upsertStack("shop", dir);
    ctx = {
      store,
      stackId,
      projectDir: dir,
      log: pino({ level: "silent" }),
      now: Date.now,
      event: async (e) => void (await store.events.append({ actor: "control-plane", ...e })),
    } as Partial<Ctx> as Ctx;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    asked = [];
    outcome = {};
    awaitsApproval = false;
    for (const a of await store.promotions.autoDeploys(ctx.stackId))
      await store.promotions.disableAutoDeploy(ctx.stackId, a.env);
    for (const env of ["dev", "staging"])
      await store.promotions.enableAutoDeploy(ctx.stackId, env, dir, "admin");
  });

  const rollout = (env: string) => ({ id: `ro_${env}`, environmentId: env, phase: "pending" }) as RolloutRow;
  const ports: AutoDeployPorts = {
    git: { head: async () => ({ sha: SHA }), fetch: async () => ({ ok: true }) },
    deploy: async (env, ref) => {
      asked.push(`deploy ${env} ${ref.slice(0, 4)}`);
      return rollout(env);
    },
    promotions: {
      promote: async (from, to) => {
        asked.push(`promote ${from} ${to}`);
        return awaitsApproval
          ? { promotion: { id: "pro_1" } as never }
          : { promotion: { id: "pro_1" } as never, rollout: rollout(to) };
      },
    },
    finished: async (id) => ({ ...rollout(id), id, phase: outcome[id] ?? "succeeded" }) as RolloutRow,
  };
  const lastEvent = async () => (await store.events.list({ limit: 1 }))[0]!;

  it("builds the commit in dev, promotes that build to staging, and acts on a commit once", async () => {
    const deployer = new AutoDeployer(ctx, ports);
    await deployer.tick();
    expect(asked).toEqual(["deploy dev aaaa", "promote dev staging"]);
    expect((await lastEvent()).kind).toBe("autodeploy.finished");
    await deployer.tick();
    expect(asked).toHaveLength(2);
  });

  it("stops the chain at a failed rollout and says what was not deployed", async () => {
    outcome.ro_dev = "failed";
    await store.promotions.markSeen(ctx.stackId, ["dev", "staging"], "old");
    await new AutoDeployer(ctx, ports).tick();
    expect(asked).toEqual(["deploy dev aaaa"]);
    const e = await lastEvent();
    expect(e.kind).toBe("autodeploy.stopped");
    expect(e.message).toContain("stopped at dev: rollout ro_dev failed; not deployed: staging");
  });

  it("stops where a promotion waits for approval, naming how to approve it", async () => {
    awaitsApproval = true;
    await store.promotions.markSeen(ctx.stackId, ["dev", "staging"], "old");
    await new AutoDeployer(ctx, ports).tick();
    expect((await lastEvent()).message).toContain("the promotion awaits approval (slipway approve pro_1)");
  });

  it("leaves a held environment alone and deploys nothing where no admin enabled it", async () => {
    await store.promotions.markSeen(ctx.stackId, ["dev", "staging"], "old");
    await store.promotions.hold(ctx.stackId, "staging", "alice", "promoted v1 by hand");
    await store.promotions.disableAutoDeploy(ctx.stackId, "dev");
    await new AutoDeployer(ctx, ports).tick();
    await store.promotions.liftHold(ctx.stackId, "staging");
    expect(asked).toEqual([]);
    const kinds = (await store.events.list({ limit: 3 })).map((e) => `${e.kind}: ${e.message}`);
    expect(kinds).toContain("autodeploy.skipped: staging skipped: held by alice: promoted v1 by hand");
  });
});
