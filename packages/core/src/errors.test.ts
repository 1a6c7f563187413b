import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./errors";

// The catalogue and docs/errors.md are kept in step by this test, the way Fastify tests that
// every error code is documented: adding a code without its row (or the reverse) fails here.
const docs = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
const catalogue = Object.keys(ERROR_CODES).sort();
/** Codes that head a table row: | `SLW_X` | meaning | what to do | */
const documented = [...docs.matchAll(/^\|\s*`(SLW_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/gm)];

describe("error catalogue and docs/errors.md", () => {
  it("documents every code in the catalogue", () => {
    const rows = new Set(documented.map((m) => m[1]));
    expect(catalogue.filter((code) => !rows.has(code))).toEqual([]);
  });

  it("documents no code the catalogue does not have", () => {
    const mentioned = new Set([...docs.matchAll(/SLW_[A-Z0-9_]+/g)].map((m) => m[0]));
    expect([...mentioned].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it("has one row per code, each with a meaning and what to do", () => {
    expect(documented.map((m) => m[1]).sort()).toEqual(catalogue);
    for (const [, code, rest] of documented) {
      const cells = rest!.split(" | ").map((cell) => cell.trim());
      expect(cells, code).toHaveLength(2);
      for (const cell of cells) expect(cell.length, code).toBeGreaterThan(10);
    }
  });
});
