import { describe, expect, it } from "vitest";
import { dropRefusal, type ReleaseInstances, releasesUsing } from "./copies";

const original = { db: { dataDir: "/envs/local/addons/db" } };
const copy = { db: { dataDir: "/envs/local/restores/db/bkr_1" } };
const rel = (n: number, instances: ReleaseInstances["addonInstances"]): ReleaseInstances => ({
  id: `r${n}`,
  number: n,
  rollbackOf: null,
  addonInstances: instances,
});

describe("which releases keep a restored copy", () => {
  // v1 on the original, v2 switched to the copy, v3 rolled back to the original.
  const all = [rel(1, original), rel(2, copy), rel(3, original)];
  const users = releasesUsing(all, "db", copy.db.dataDir);
  const wentLive = new Set(["r1", "r2", "r3"]);

  it("finds the releases that use the copy, and only those", () => {
    expect(users.map((r) => r.number)).toEqual([2]);
    expect(releasesUsing(all, "db", "/elsewhere")).toEqual([]);
    expect(releasesUsing([rel(4, null)], "db", copy.db.dataDir)).toEqual([]);
  });

  it("refuses while the release using it is live", () => {
    expect(dropRefusal(users, all.slice(0, 2), "r2", wentLive, [])).toBe("v2 is live on it");
  });

  it("refuses while it is what a plain rollback goes back to", () => {
    expect(dropRefusal(users, all, "r3", wentLive, [])).toBe("v2 is what `slipway rollback` goes back to");
  });

  it("refuses while a rollout moves to a release using it", () => {
    const next = [...all, rel(4, original), rel(5, copy)];
    expect(dropRefusal(releasesUsing(next, "db", copy.db.dataDir), next, "r4", wentLive, ["r5"])).toBe(
      "a rollout to v5 is in progress",
    );
  });

  it("allows it once only older releases use it", () => {
    const next = [...all, rel(4, original)];
    expect(dropRefusal(users, next, "r4", new Set([...wentLive, "r4"]), [])).toBeUndefined();
  });

  it("allows a copy no release ever used", () => {
    expect(dropRefusal([], all, "r3", wentLive, [])).toBeUndefined();
  });
});
