import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "slipway-layering-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Files importing `from`, linted with the repository's biome.json: the paths that lint refuses. */
function refused(files: Record<string, string>): string[] {
  copyFileSync(join(REPO, "biome.json"), join(root, "biome.json"));
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `import { a } from "${from}";\nexport const probe = a;\n`);
  }
  const r = spawnSync(
    join(REPO, "node_modules", ".bin", "biome"),
    ["lint", "--vcs-enabled=false", "--max-diagnostics=200", "--only=style/noRestrictedImports", "."],
    { cwd: root, encoding: "utf8" },
  );
  const output = r.stdout + r.stderr;
  return Object.keys(files).filter((path) => output.includes(`${path}:1:19 lint/style/noRestrictedImports`));
}

describe("the layering is checked by `npm run lint`", () => {
  it("refuses driver-local in the server except in wiring.ts, I/O or our packages in core, and anything of ours but core in render", () => {
    const forbidden = {
      "packages/server/src/operations.ts": "@slipway/driver-local",
      "packages/server/src/environment/edge.ts": "../../../driver-local/src/edge",
      "packages/server/test/api.test.ts": "@slipway/driver-local/proc",
      "packages/core/src/rollout/plan.ts": "node:fs",
      "packages/core/src/release/config.ts": "child_process",
      "packages/core/src/ports/runtime.ts": "@slipway/store",
      "packages/core/src/ports/edge.ts": "../../../driver-local/src",
      "packages/render/src/input.ts": "@slipway/spec",
      "packages/render/src/kubernetes/deployment.ts": "../../../server/src/status",
    };
    const allowed = {
      "packages/server/src/wiring.ts": "@slipway/driver-local",
      "packages/server/src/context.ts": "@slipway/core",
      "packages/core/src/release/hash.ts": "node:crypto",
      "packages/core/src/release/env.ts": "node:path/posix",
      "packages/core/src/ports/driver.ts": "../release/config",
      "packages/core/src/errors.test.ts": "node:fs",
      "packages/render/src/index.ts": "@slipway/core",
    };
    expect(refused({ ...forbidden, ...allowed }).sort()).toEqual(Object.keys(forbidden).sort());
  });
});
