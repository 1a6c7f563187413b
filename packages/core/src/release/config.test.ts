import { describe, expect, it } from "vitest";
import { addonsOf, type ReleaseConfig } from "./config";

const base: ReleaseConfig = { services: {}, routes: [] };

describe("addonsOf: the add-ons a release runs with", () => {
  it("are the ones frozen in the release, whatever the store holds now", () => {
    const config = {
      ...base,
      addons: { db: { type: "postgres" as const, version: 16, databases: ["shop"] } },
    };
    expect(addonsOf(config, [{ name: "cache", kind: "redis" }])).toEqual(config.addons);
  });

  it("for a release recorded before they were frozen: what the store recorded, with the spec's defaults", () => {
    expect(
      addonsOf(base, [
        { name: "db", kind: "postgres" },
        { name: "cache", kind: "redis" },
        { name: "files", kind: "bucket" },
      ]),
    ).toEqual({
      db: { type: "postgres", version: 15, databases: ["app"] },
      cache: { type: "redis", maxmemory: "64mb", evictionPolicy: "noeviction", persistence: false },
      files: { type: "bucket" },
    });
  });
});
