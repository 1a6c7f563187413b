import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { treePathProblem } from "./tree-path";

// Pieces an attacker would combine: traversal, separators, NUL, newlines, look-alikes.
const hostile = fc.constantFrom(
  "..",
  ".",
  "",
  "/",
  "//",
  "\\",
  "\0",
  "\n",
  "..\\..",
  "%2e%2e",
  "…",
  "etc",
  "passwd",
  "a b",
  "$(x)",
  "node_modules",
  ".env",
  ".git",
);
const segment = fc.oneof(hostile, fc.string({ maxLength: 8 }), fc.string({ unit: "binary", maxLength: 4 }));
const anyPath = fc.oneof(
  fc.array(segment, { maxLength: 6 }).map((s) => s.join("/")),
  fc.string({ maxLength: 40 }),
  fc.array(segment, { maxLength: 6 }).map((s) => s.join("")),
);

describe("tree path validation (fuzzed)", () => {
  it("accepts only paths that stay inside the tree when joined to it", () => {
    fc.assert(
      fc.property(anyPath, (path) => {
        if (treePathProblem(path) !== undefined) return;
        const root = "/srv/slipway/sources/tree";
        const at = posix.resolve(root, path);
        expect(at.startsWith(`${root}/`), path).toBe(true);
        // Accepted paths are already normal: what is checked is what is written.
        expect(posix.normalize(path)).toBe(path);
        expect(posix.relative(root, at)).toBe(path);
        expect(path).not.toMatch(/[\0\n\r\\]/);
      }),
      { numRuns: 5_000 },
    );
  });

  it("refuses every path that has a .. segment, whatever surrounds it", () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 3 }), fc.array(segment, { maxLength: 3 }), (a, b) => {
        expect(treePathProblem([...a, "..", ...b].join("/"))).toBeDefined();
      }),
    );
  });
});
