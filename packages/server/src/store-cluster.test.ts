import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedKind } from "./store-cluster";

const root = mkdtempSync(join(tmpdir(), "slipway-store-kind-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for /usr/lib/postgresql holding the given majors' server binaries. */
function postgresRoot(name: string, majors: number[]): string {
  const dir = join(root, name);
  for (const m of majors) {
    mkdirSync(join(dir, String(m), "bin"), { recursive: true });
    writeFileSync(join(dir, String(m), "bin", "postgres"), "");
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("embeddedKind: which store a project gets", () => {
  it("a new project gets a PostgreSQL cluster on the newest installed major", () => {
    expect(embeddedKind(join(root, "new", "store"), postgresRoot("two", [15, 17]))).toEqual({
      kind: "postgres",
      major: 17,
    });
  });

  it("PGlite only where no PostgreSQL server binary is installed, saying which binary is missing", () => {
    const kind = embeddedKind(join(root, "new", "store"), postgresRoot("none", []));
    expect(kind).toMatchObject({ kind: "pglite", why: "no-server" });
    expect(kind.kind === "pglite" && kind.detail).toMatch(/postgres is not installed/);
  });

  it("a PGlite store made by an earlier version stays PGlite, so its state is not orphaned", () => {
    const store = join(root, "old", "store");
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, "PG_VERSION"), "17\n");
    expect(embeddedKind(store, postgresRoot("one", [15]))).toMatchObject({ kind: "pglite", why: "existing" });
  });
});
