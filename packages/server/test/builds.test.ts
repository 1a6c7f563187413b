import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeBuild } from "../src/builds";

const root = mkdtempSync(join(tmpdir(), "slipway-builds-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

const opts = (sourceDir: string, extra: Partial<Parameters<typeof makeBuild>[0]> = {}) => ({
  sourceDir,
  buildsDir: join(root, "builds"),
  depsDir: join(root, "deps"),
  progress: () => {},
  ...extra,
});

describe("makeBuild", () => {
  it("is content-addressed: the same tree is one build, copied once, apart from the source", async () => {
    const src = project("a", { "app.mjs": "console.log(1)\n", "slipway.config.ts": "export default {}\n" });
    const first = await makeBuild(opts(src));
    const again = await makeBuild(opts(src));
    expect(again).toMatchObject({ id: first.id, cached: true });
    expect(first.dir).not.toBe(src);
    expect(readFileSync(join(first.dir, "app.mjs"), "utf8")).toBe("console.log(1)\n");
  });

  it("makes a new build for new code, but not for a spec (config) change", async () => {
    const src = project("b", { "app.mjs": "v1\n", "slipway.config.ts": "export default { a: 1 }\n" });
    const v1 = await makeBuild(opts(src));
    writeFileSync(join(src, "slipway.config.ts"), "export default { a: 2 }\n");
    expect((await makeBuild(opts(src))).id).toBe(v1.id);
    writeFileSync(join(src, "app.mjs"), "v2\n");
    expect((await makeBuild(opts(src))).id).not.toBe(v1.id);
  });

  it("builds a git ref instead of the working tree", async () => {
    const src = project("c", { "app.mjs": "committed\n" });
    const git = (...a: string[]) => spawnSync("git", ["-C", src, ...a], { encoding: "utf8" });
    git("init", "-q");
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".");
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one");
    writeFileSync(join(src, "app.mjs"), "uncommitted\n");
    const b = await makeBuild(opts(src, { ref: "HEAD" }));
    expect(readFileSync(join(b.dir, "app.mjs"), "utf8")).toBe("committed\n");
    expect(b.gitSha).toMatch(/^[0-9a-f]{40}$/);
    await expect(makeBuild(opts(src, { ref: "no-such-branch" }))).rejects.toMatchObject({
      code: "SLW_BUILD_FAILED",
    });
  });

  it("reports a failing build command with its output and leaves no half-made build", async () => {
    const src = project("d", { "app.mjs": "x\n" });
    const failing = opts(src, {
      command: [process.execPath, "-e", "console.log('compiling…'); process.exit(3)"],
    });
    await expect(makeBuild(failing)).rejects.toMatchObject({
      code: "SLW_BUILD_FAILED",
      detail: { output: expect.stringContaining("compiling") },
    });
    const ok = await makeBuild(opts(src));
    expect(existsSync(join(ok.dir, ".slipway-build"))).toBe(true);
  });
});
