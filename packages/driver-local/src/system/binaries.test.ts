import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installedPostgresMajor } from "./binaries";

const root = mkdtempSync(join(tmpdir(), "slipway-pg-majors-"));
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

describe("installedPostgresMajor", () => {
  it("is the newest major with a server binary", () => {
    expect(installedPostgresMajor(postgresRoot("two", [15, 17]))).toBe(17);
  });

  it("names the missing binary and the apt line when there is none", () => {
    expect(() => installedPostgresMajor(postgresRoot("none", []))).toThrow(/postgres is not installed/);
  });
});
