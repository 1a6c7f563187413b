import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "..", "..", "..");

/**
 * bin/slipway.js runs the prebuilt bundle only while every file it was built from is
 * unchanged; otherwise the TypeScript source, so an edit in a checkout never runs stale code.
 * Given a copy of the bin beside a stand-in bundle and source that say which one ran.
 */
describe("bin/slipway.js picks the bundle only when it is fresh", () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function layout() {
    root = mkdtempSync("/tmp/slipway-bin-");
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules")); // tsx, for the source path
    const pkg = join(root, "cli");
    mkdirSync(join(pkg, "src"), { recursive: true });
    mkdirSync(join(pkg, "dist"));
    cpSync(join(REPO, "packages", "cli", "bin"), join(pkg, "bin"), { recursive: true });
    cpSync(join(REPO, "packages", "cli", "package.json"), join(pkg, "package.json"));
    const input = join(pkg, "src", "main.ts");
    writeFileSync(input, 'const from: string = "source";\nconsole.log(from);\n');
    writeFileSync(join(pkg, "dist", "slipway.mjs"), 'console.log("bundle");\n');
    const s = statSync(input);
    writeFileSync(
      join(pkg, "dist", "manifest.json"),
      JSON.stringify({ inputs: { "../src/main.ts": { size: s.size, mtimeMs: s.mtimeMs } } }),
    );
    const run = (env: NodeJS.ProcessEnv = process.env) =>
      spawnSync(process.execPath, [join(pkg, "bin", "slipway.js")], { encoding: "utf8", env }).stdout.trim();
    return { input, run, manifest: join(pkg, "dist", "manifest.json") };
  }

  it("runs the bundle while its inputs are as they were built", () => {
    const { run } = layout();
    expect(run()).toBe("bundle");
    expect(run({ ...process.env, SLIPWAY_FROM_SOURCE: "1" })).toBe("source");
  });

  it("runs the source once an input was edited, even to the same size", () => {
    const { input, run } = layout();
    writeFileSync(input, 'const from: string = "SOURCE";\nconsole.log(from);\n');
    expect(run()).toBe("SOURCE");
  });

  it("runs the source when an input is gone or the manifest is damaged", () => {
    const a = layout();
    const { inputs } = JSON.parse(readFileSync(a.manifest, "utf8"));
    inputs["../src/removed-since.ts"] = { size: 1, mtimeMs: 1 };
    writeFileSync(a.manifest, JSON.stringify({ inputs }));
    expect(a.run()).toBe("source");
    rmSync(root, { recursive: true, force: true });
    const b = layout();
    writeFileSync(b.manifest, "{");
    expect(b.run()).toBe("source");
  });
});
