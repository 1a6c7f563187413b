import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isSlipwayError } from "@slipway/core";
import { openStore, type Store } from "@slipway/store";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context";
import { dataOperations } from "./masked-copy";

/**
 * What `slipway data copy` refuses before any driver is asked (the context has none: reaching
 * it would fail the test), on a real store and spec. The copy itself, row by row on real
 * Postgres, is in e2e/environments.test.ts.
 */
describe("dataOperations.copyMasked refusals", () => {
  let dir: string;
  let store: Store;
  let ops: ReturnType<typeof dataOperations>;

  const spec = (data: string) =>
    writeFileSync(
      join(dir, "slipway.config.ts"),
      `import { defineStack } from "@slipway/spec";
export default defineStack({
  name: "shop",
  services: { web: { type: "web", command: ["node", "web.mjs"] } },
  addons: { db: { type: "postgres" } },
  environments: { dev: {}, staging: {}, prod: { requiresApproval: true } },
  ${data}
});
`,
    );
  const refusal = async (from: string, to: string) => {
    const e = await ops.copyMasked({ from, to }, "admin").then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isSlipwayError(e)) throw new Error(`expected a refusal, got ${String(e)}`);
    return e;
  };

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/slipway-data-copy-");
    mkdirSync(join(dir, "node_modules", "@slipway"), { recursive: true });
    symlinkSync(resolve(import.meta.dirname, "../../../spec"), join(dir, "node_modules", "@slipway", "spec"));
    store = await openStore();
    const stackId = await store.environments.upsertStack("shop", dir);
    const ctx = {
      store,
      stackId,
      projectDir: dir,
      log: pino({ level: "silent" }),
      now: Date.now,
      event: async (e) => void (await store.events.append({ actor: "control-plane", ...e })),
    } as Partial<Ctx> as Ctx;
    ops = dataOperations(ctx);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses without data.mask in the spec: there is no unmasked copy", async () => {
    spec("");
    const e = await refusal("prod", "staging");
    expect(e.code).toBe("SLW_MASK_REFUSED");
    expect(e.message).toContain("the spec has no data.mask");
  });

  it("refuses a target that requires approval, the same environment, an unknown one and one never deployed", async () => {
    spec(`data: { mask: { items: "safe" } },`);
    const intoProd = await refusal("staging", "prod");
    expect([intoProd.code, intoProd.message]).toEqual([
      "SLW_CONFLICT",
      expect.stringContaining("environments.prod.requiresApproval"),
    ]);
    expect((await refusal("dev", "dev")).code).toBe("SLW_BAD_REQUEST");
    const unknown = await refusal("prod", "qa");
    expect([unknown.code, unknown.hint]).toEqual(["SLW_NOT_FOUND", "use one of: dev, staging, prod"]);
    const never = await refusal("dev", "staging");
    expect([never.code, never.message]).toEqual([
      "SLW_CONFLICT",
      "dev has no live release, so no database with the app's schema",
    ]);
  });
});
