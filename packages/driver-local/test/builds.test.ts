import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appUser } from "../src";
import { makeBuild } from "../src/build/make-build";

// The build user must be able to walk down to the builds, hence /tmp and 755.
const root = mkdtempSync("/tmp/slipway-builds-");
chmodSync(root, 0o755);
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

  it("builds a stack in a subfolder of its repository at a git ref", async () => {
    const repo = project("repo", { "README.md": "top\n" });
    mkdirSync(join(repo, "stack", "lib"), { recursive: true });
    writeFileSync(join(repo, "stack", "app.mjs"), "committed\n");
    writeFileSync(join(repo, "stack", "lib", "util.mjs"), "util\n");
    const git = (...a: string[]) => spawnSync("git", ["-C", repo, ...a], { encoding: "utf8" });
    git("init", "-q");
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".");
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one");
    writeFileSync(join(repo, "stack", "app.mjs"), "uncommitted\n");
    const b = await makeBuild(opts(join(repo, "stack"), { ref: "HEAD" }));
    expect(readFileSync(join(b.dir, "app.mjs"), "utf8")).toBe("committed\n");
    expect(readFileSync(join(b.dir, "lib", "util.mjs"), "utf8")).toBe("util\n");
    expect(existsSync(join(b.dir, "README.md"))).toBe(false);
  });

  it("keeps symlinks that stay inside the stack, as links", async () => {
    const src = project("links", { "real.mjs": "real\n" });
    mkdirSync(join(src, "lib"));
    writeFileSync(join(src, "lib", "deep.mjs"), "deep\n");
    symlinkSync("real.mjs", join(src, "alias.mjs"));
    symlinkSync("lib", join(src, "lib-link"));
    symlinkSync(join(src, "lib", "deep.mjs"), join(src, "absolute-inside.mjs"));
    symlinkSync("gone.mjs", join(src, ".#editor-lock")); // dangling: left out
    const b = await makeBuild(opts(src));
    expect(readFileSync(join(b.dir, "alias.mjs"), "utf8")).toBe("real\n");
    expect(lstatSync(join(b.dir, "alias.mjs")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(b.dir, "lib-link", "deep.mjs"), "utf8")).toBe("deep\n");
    // Absolute links are rewritten relative, so they point into the build, not the source.
    expect(readlinkSync(join(b.dir, "absolute-inside.mjs"))).toBe("lib/deep.mjs");
    expect(existsSync(join(b.dir, ".#editor-lock"))).toBe(false);
  });

  it("refuses a symlink that leads outside the stack, naming it", async () => {
    const outside = project("outside", { "secret.txt": "not for the build\n" });
    const src = project("escape", { "app.mjs": "x\n" });
    mkdirSync(join(src, "conf"));
    symlinkSync(join(outside, "secret.txt"), join(src, "conf", "secret.txt"));
    await expect(makeBuild(opts(src))).rejects.toMatchObject({
      code: "SLW_BUILD_FAILED",
      message: expect.stringContaining(join("conf", "secret.txt")),
    });
  });

  it("runs the build with a minimal environment, as the app user when we are root, then keeps it read-only", async () => {
    // Not root: the build runs as ourselves, still without the control plane's environment.
    const user = appUser();
    const builder = user ?? { uid: process.getuid!(), gid: process.getgid!() };
    process.env.SLIPWAY_TOKEN = "slw_secret_token";
    process.env.SLIPWAY_DATABASE_URL = "postgres://control:plane@127.0.0.1/slipway";
    try {
      const src = project("who", { "app.mjs": "who\n" });
      const report =
        "require('fs').writeFileSync('who.json', JSON.stringify({ uid: process.getuid(), gid: process.getgid(), env: process.env }))";
      const b = await makeBuild(opts(src, { command: [process.execPath, "-e", report], runAs: user }));
      const who = JSON.parse(readFileSync(join(b.dir, "who.json"), "utf8")) as {
        uid: number;
        gid: number;
        env: Record<string, string>;
      };
      expect([who.uid, who.gid]).toEqual([builder.uid, builder.gid]);
      expect(Object.keys(who.env).filter((k) => k.startsWith("SLIPWAY_"))).toEqual([]);
      expect(Object.keys(who.env).sort()).toEqual([
        "HOME",
        "LANG",
        "PATH",
        "npm_config_cache",
        "npm_config_update_notifier",
      ]);
      expect(statSync(who.env.HOME!).uid).toBe(builder.uid);
      expect(who.env.PATH).not.toContain("node_modules");
      // Finished builds belong to us again, writable by nobody else.
      for (const f of user ? [b.dir, join(b.dir, "who.json"), join(b.dir, "app.mjs")] : []) {
        const st = statSync(f);
        expect([st.uid, st.mode & 0o022], f).toEqual([process.getuid!(), 0]);
      }
    } finally {
      delete process.env.SLIPWAY_TOKEN;
      delete process.env.SLIPWAY_DATABASE_URL;
    }
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
