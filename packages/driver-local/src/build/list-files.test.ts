import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { listFiles } from "./make-build";

const root = mkdtempSync("/tmp/slipway-tree-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("leaves development secrets (.env, .env.local…) out of a build, and keeps templates", () => {
  mkdirSync(join(root, "sub"));
  for (const f of [
    ".env",
    ".env.local",
    ".env.production.local",
    "sub/.env",
    ".env.example",
    "app.mjs",
    ".envrc",
  ])
    writeFileSync(join(root, f), "X=1\n");
  expect(listFiles(root).map((e) => e.path)).toEqual([".env.example", ".envrc", "app.mjs"]);
});
