import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("the example shop's copy of the SDK", () => {
  it("is the current build of this package", () => {
    const script = join(import.meta.dirname, "..", "scripts", "build.mjs");
    const r = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
