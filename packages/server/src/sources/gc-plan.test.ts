import { describe, expect, it } from "vitest";
import { type GcSnapshot, planGc } from "./gc-plan";

const HOUR = 3_600_000;
const now = 100 * HOUR;
const policy = { graceMs: HOUR, partialTtlMs: 24 * HOUR };
const old = (name: string, bytes = 10) => ({ name, mtimeMs: now - 2 * HOUR, bytes });
const fresh = (name: string, bytes = 10) => ({ name, mtimeMs: now - 60_000, bytes });
const snapshot = (s: Partial<GcSnapshot>): GcSnapshot => ({
  now,
  blobs: [],
  trees: [],
  sources: [],
  partials: [],
  temps: [],
  keptTrees: new Set(),
  inFlightTrees: new Set(),
  ...s,
});

describe("planGc", () => {
  it("keeps the blobs of kept releases' trees and of rollouts in flight, and removes the rest", () => {
    const plan = planGc(
      snapshot({
        blobs: [old("a"), old("b"), old("c"), old("d")],
        trees: [
          { ...old("kept"), blobs: ["a"] },
          { ...old("building"), blobs: ["b"] },
          { ...old("dropped"), blobs: ["c"] },
        ],
        keptTrees: new Set(["kept"]),
        inFlightTrees: new Set(["building"]),
      }),
      policy,
    );
    expect(plan.blobs).toEqual(["c", "d"]);
    expect(plan.trees).toEqual(["dropped"]);
  });

  it("removes a source directory once no rollout in flight builds from it, kept release or not", () => {
    const plan = planGc(
      snapshot({
        sources: [old("kept"), old("building"), old(".tmp-crashed-1234")],
        keptTrees: new Set(["kept"]),
        inFlightTrees: new Set(["building"]),
      }),
      policy,
    );
    expect(plan.sources).toEqual(["kept", ".tmp-crashed-1234"]);
  });

  it("spares anything touched within the grace time: an upload or a deploy in flight", () => {
    const plan = planGc(
      snapshot({
        blobs: [fresh("just-sent"), old("of-a-fresh-tree")],
        trees: [{ ...fresh("about-to-deploy"), blobs: ["of-a-fresh-tree"] }],
        sources: [fresh("about-to-deploy")],
        temps: [fresh("receiving"), old("crash-leftover")],
      }),
      policy,
    );
    expect(plan).toEqual({ blobs: [], trees: [], sources: [], partials: [], temps: ["crash-leftover"] });
  });

  it("drops a partial upload nobody continued within its time", () => {
    const plan = planGc(
      snapshot({ partials: [old("resumable"), { name: "abandoned", mtimeMs: now - 25 * HOUR, bytes: 5 }] }),
      policy,
    );
    expect(plan.partials).toEqual(["abandoned"]);
  });
});
