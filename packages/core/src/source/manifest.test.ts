import { describe, expect, it } from "vitest";
import { checkSpecFile, checkTree, treeHashOf, withSpec } from "./manifest";
import { treePathProblem } from "./tree-path";

const sha = (c: string) => c.repeat(64);
const file = (path: string, more: Partial<{ mode: number; size: number; sha256: string }> = {}) => ({
  path,
  mode: 0o644,
  size: 3,
  sha256: sha("a"),
  ...more,
});
const problemOf = (files: ReturnType<typeof file>[], limits?: Parameters<typeof checkTree>[1]) => {
  const r = checkTree({ files }, limits);
  return r.ok ? undefined : `${r.field}: ${r.problem}`;
};

describe("tree paths", () => {
  it.each([
    ["../../etc/passwd", /"\.\." segment/],
    ["/etc/passwd", /absolute/],
    ["a/../../b", /"\.\." segment/],
    ["./a", /"\." segment/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["a\0b", /control character/],
    ["a\nb", /control character/],
    ["..\\..\\x", /backslash/],
    ["node_modules/x/index.js", /builds leave out/],
    ["lib/.git/config", /builds leave out/],
    [".env.local", /builds leave out/],
    ["slipway.config.ts", /builds leave out/],
  ])("refuses %j", (path, why) => {
    expect(treePathProblem(path)).toMatch(why);
  });

  it.each(["server.mjs", "lib/a b.js", "sub/slipway.config.ts", ".env.example", "web/…/x", "$(x)"])(
    "accepts %j",
    (path) => expect(treePathProblem(path)).toBeUndefined(),
  );
});

describe("checkTree", () => {
  it("accepts a sorted tree of files", () => {
    expect(problemOf([file("a.js"), file("lib/b.js", { mode: 0o755, size: 0 })])).toBeUndefined();
  });

  it("names the field and what is wrong", () => {
    expect(problemOf([file("a"), file("../x")])).toMatch(/^tree\.files\[1\]\.path: "\.\.\/x" has a "\.\."/);
    expect(problemOf([file("b"), file("a")])).toMatch(/tree\.files\[1\]\.path: .*sorted and unique/);
    expect(problemOf([file("a"), file("a")])).toMatch(/sorted and unique/);
    expect(problemOf([file("a", { mode: 0o4755 })])).toMatch(/tree\.files\[0\]\.mode/);
    expect(problemOf([file("a", { sha256: "A".repeat(64) })])).toMatch(/tree\.files\[0\]\.sha256/);
    expect(problemOf([file("a", { size: -1 })])).toMatch(/tree\.files\[0\]\.size/);
  });

  it("refuses an empty tree", () => {
    expect(problemOf([])).toMatch(/tree\.files: is empty/);
  });

  it("refuses a file that another file's path uses as a directory, sorted apart or not", () => {
    expect(problemOf([file("a"), file("a-b"), file("a/c")])).toMatch(/"a\/c" is inside "a", which is a file/);
  });

  it("enforces the file count, file size and total size limits", () => {
    const limits = { maxFiles: 2, maxFileBytes: 10, maxTotalBytes: 15 };
    expect(problemOf([file("a"), file("b"), file("c")], limits)).toMatch(/3 files; at most 2/);
    expect(problemOf([file("a", { size: 11 })], limits)).toMatch(/size: 11 is not a size from 0 to 10/);
    expect(problemOf([file("a", { size: 8 }), file("b", { size: 8 })], limits)).toMatch(
      /16 bytes; at most 15/,
    );
  });
});

describe("treeHashOf", () => {
  it("changes with a path or a content, not with a mode", () => {
    const base = treeHashOf({ files: [file("a")] });
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(treeHashOf({ files: [file("b")] })).not.toBe(base);
    expect(treeHashOf({ files: [file("a", { sha256: sha("b") })] })).not.toBe(base);
    expect(treeHashOf({ files: [file("a", { mode: 0o755 })] })).toBe(base);
  });
});

describe("the spec sent beside a tree", () => {
  it("is one of the spec's names at the top, nothing else", () => {
    expect(checkSpecFile(file("slipway.config.ts"))).toBeUndefined();
    expect(checkSpecFile(file("slipway.config.json"))).toBeUndefined();
    for (const path of ["sub/slipway.config.ts", "../slipway.config.ts", "/etc/passwd", "api.mjs"])
      expect(checkSpecFile(file(path))).toMatchObject({ ok: false, field: "spec.path" });
    expect(checkSpecFile(file("slipway.config.ts", { mode: 0o4755 }))).toMatchObject({ field: "spec.mode" });
    expect(checkSpecFile(file("slipway.config.ts", { sha256: "../x" }))).toMatchObject({
      field: "spec.sha256",
    });
  });

  it("changes the stack directory's hash, never the tree's (the build id)", () => {
    const tree = { files: [file("api.mjs"), file("web.mjs")] };
    const v1 = withSpec(tree, file("slipway.config.ts", { sha256: sha("b") }));
    const v2 = withSpec(tree, file("slipway.config.ts", { sha256: sha("c") }));
    expect(v1.files.map((f) => f.path)).toEqual(["api.mjs", "slipway.config.ts", "web.mjs"]);
    expect(treeHashOf(v1)).not.toBe(treeHashOf(v2));
    expect(treeHashOf(v1)).not.toBe(treeHashOf(tree));
    expect(withSpec(tree, undefined)).toBe(tree);
  });
});
