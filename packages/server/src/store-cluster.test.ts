import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "@slipway/core";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedKind } from "./store-cluster";

const root = mkdtempSync(join(tmpdir(), "slipway-store-kind-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const installed = (major: number) => () => major;
const noServer = () => {
  throw new SlipwayError("SLW_BINARY_MISSING", "postgres is not installed; the local driver needs it.");
};

describe("embeddedKind: which store a project gets", () => {
  it("a new project gets a PostgreSQL cluster on the installed major", () => {
    expect(embeddedKind(join(root, "new", "store"), installed(17))).toEqual({ kind: "postgres", major: 17 });
  });

  it("PGlite only where no PostgreSQL server binary is installed, saying which binary is missing", () => {
    const kind = embeddedKind(join(root, "new", "store"), noServer);
    expect(kind).toMatchObject({ kind: "pglite", why: "no-server" });
    expect(kind.kind === "pglite" && kind.detail).toMatch(/postgres is not installed/);
  });

  it("a PGlite store made by an earlier version stays PGlite, so its state is not orphaned", () => {
    const store = join(root, "old", "store");
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, "PG_VERSION"), "17\n");
    expect(embeddedKind(store, installed(15))).toMatchObject({ kind: "pglite", why: "existing" });
  });
});
