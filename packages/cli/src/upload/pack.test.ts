import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { treeHashOf } from "@slipway/core";
import { workingTreeBuildId } from "@slipway/driver-local/build";
import { afterAll, describe, expect, it } from "vitest";
import { packRef } from "./pack-ref";
import { packWorkingTree } from "./pack-working-tree";

const shop = resolve(import.meta.dirname, "../../../../examples/shop");
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A copy of the example stack (without dependencies or state), committed to a fresh repository. */
function repoOfShop(): string {
  const root = mkdtempSync("/tmp/slipway-pack-");
  roots.push(root);
  const dir = join(root, "stacks", "shop");
  cpSync(shop, dir, { recursive: true, filter: (src) => !/\/(node_modules|\.slipway)(\/|$)/.test(src) });
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", root, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "shop");
  return dir;
}

describe("packing a tree for upload", () => {
  it("packs the working tree as a build reads it: the tree hash is the build id", async () => {
    const dir = repoOfShop();
    writeFileSync(join(dir, ".env"), "SECRET=1\n");
    const pack = await packWorkingTree(dir);
    const paths = pack.tree.files.map((f) => f.path);
    expect(paths).toContain("web.mjs");
    expect(paths).not.toContain(".env");
    expect(paths).not.toContain("slipway.config.ts");
    expect(treeHashOf(pack.tree)).toBe(workingTreeBuildId(dir));
  });

  it("sends the spec beside the tree, from the working tree or the ref", async () => {
    const dir = repoOfShop();
    const committed = readFileSync(join(dir, "slipway.config.ts"));
    writeFileSync(join(dir, "slipway.config.ts"), `${committed}\n// edited, not committed\n`);
    const working = await packWorkingTree(dir);
    const ref = await packRef(dir, "HEAD");
    const text = async (p: typeof working) =>
      new Response(p.open(p.spec!.sha256) as unknown as ReadableStream).text();
    expect(working.spec).toMatchObject({ path: "slipway.config.ts", mode: 0o644 });
    expect(await text(working)).toContain("edited, not committed");
    expect(ref.spec).toMatchObject({ path: "slipway.config.ts", size: committed.length });
    expect(await text(ref)).toBe(committed.toString());
    // The build id is the tree's, whatever the spec says.
    expect(treeHashOf(working.tree)).toBe(treeHashOf(ref.tree));
  });

  it("packs a commit of the CLI's repository from the stack's subfolder, like the working tree", async () => {
    const dir = repoOfShop();
    const committed = treeHashOf((await packWorkingTree(dir)).tree);
    writeFileSync(join(dir, "web.mjs"), "// not committed\n");
    const pack = await packRef(dir, "HEAD");
    expect(treeHashOf(pack.tree)).toBe(committed);
    const web = pack.tree.files.find((f) => f.path === "web.mjs")!;
    const body = await new Response(pack.open(web.sha256) as unknown as ReadableStream).text();
    expect(body).not.toContain("not committed");
    expect(body.length).toBe(web.size);
  });

  it("sends a symlink to a file of the tree as that file, and refuses one to a directory", async () => {
    const dir = repoOfShop();
    symlinkSync("web.mjs", join(dir, "alias.mjs"));
    const pack = await packWorkingTree(dir);
    const [alias, web] = ["alias.mjs", "web.mjs"].map((p) => pack.tree.files.find((f) => f.path === p)!);
    expect(alias).toMatchObject({ sha256: web!.sha256, size: web!.size, mode: 0o644 });
    mkdirSync(join(dir, "shared"));
    writeFileSync(join(dir, "shared", "x.js"), "x\n");
    symlinkSync("shared", join(dir, "linked"));
    await expect(packWorkingTree(dir)).rejects.toMatchObject({ code: "SLW_SOURCE_INVALID" });
  });

  it("refuses a --ref that is not a commit, naming it", async () => {
    await expect(packRef(repoOfShop(), "no-such-branch")).rejects.toThrow(/"no-such-branch" is not a commit/);
  });
});
