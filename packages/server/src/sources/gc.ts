import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { blobsOf, type TreeManifest } from "@slipway/core";
import type { Store } from "@slipway/store";
import type { BlobStore } from "./blob-store";
import { type Entry, type GcPlan, type GcPolicy, planGc } from "./gc-plan";
import { uploadedTreeOf } from "./uploaded-tree";

export interface GcOptions extends GcPolicy {
  /** Each environment's newest releases whose trees' blobs are kept (the live one always is). */
  keepReleases: number;
}

export const GC_DEFAULTS: GcOptions = {
  keepReleases: 10,
  graceMs: 60 * 60 * 1000,
  partialTtlMs: 24 * 60 * 60 * 1000,
};

/** What one collection removed, per kind: how many, and their bytes. */
export type GcReport = Record<keyof GcPlan, { count: number; bytes: number }> & { freedBytes: number };

/**
 * Removes the uploaded blobs, tree manifests, source directories and partial uploads nothing
 * needs any more (see planGc). Observes the disk and the store, plans, then removes each item
 * only after looking at it once more, synchronously: a deploy that touched it since (the
 * server answering "you need not send it", a tree written out) keeps it, since the two cannot
 * interleave in this process. A crash mid-way leaves only fewer things removed.
 */
export async function collectGarbage(
  store: Store,
  blobs: BlobStore,
  sourcesDir: string,
  o: GcOptions,
  now: number,
  /** Source trees in use besides rollouts in flight: the one a server's `stack` link names. */
  inUse: readonly string[] = [],
): Promise<GcReport> {
  const named = await treesNamed(store, o.keepReleases);
  const snapshot = {
    now,
    ...observeDisk(blobs, sourcesDir),
    keptTrees: named.keptTrees,
    inFlightTrees: new Set([...named.inFlightTrees, ...inUse]),
  };
  const plan = planGc(snapshot, o);
  const kinds: [keyof GcPlan, Entry[], (name: string) => string, number][] = [
    ["trees", snapshot.trees, (n) => blobs.treeFile(n), o.graceMs],
    ["blobs", snapshot.blobs, (n) => blobs.pathOf(n), o.graceMs],
    ["sources", snapshot.sources, (n) => join(sourcesDir, n), o.graceMs],
    ["partials", snapshot.partials, (n) => join(blobs.partialDir, n), o.partialTtlMs],
    ["temps", snapshot.temps, (n) => join(blobs.tmpDir, n), o.graceMs],
  ];
  const report = { freedBytes: 0 } as GcReport;
  // From here on synchronous: nothing else in this process runs until every removal is done.
  for (const [kind, seen, path, ageMs] of kinds) {
    const size = new Map(seen.map((e) => [e.name, e.bytes]));
    const gone = plan[kind].filter((n) => removedIfOlder(path(n), ageMs));
    const bytes = sum(gone.map((n) => size.get(n) ?? 0));
    report[kind] = { count: gone.length, bytes };
    report.freedBytes += bytes;
  }
  return report;
}

/** Removes `path` if nothing touched it for `ms` (looked at again now, as a deploy may have since the plan). */
function removedIfOlder(path: string, ms: number): boolean {
  try {
    if (Date.now() - statSync(path).mtimeMs < ms) return false;
  } catch {
    return false;
  }
  rmSync(path, { recursive: true, force: true });
  return true;
}

/** The trees each environment's kept releases were built from, and those of rollouts in flight. */
async function treesNamed(store: Store, keepReleases: number) {
  const keptTrees = new Set<string>();
  for (const env of await store.environments.list()) {
    const releases = await store.releases.list(env.id);
    const kept = releases.filter((r, i) => i < keepReleases || r.id === env.liveReleaseId);
    for (const r of kept) {
      const tree = uploadedTreeOf((await store.releases.getBuild(r.buildId))?.source ?? "");
      if (tree) keptTrees.add(tree);
    }
  }
  const inFlightTrees = new Set(
    (await store.rollouts.active()).map((r) => uploadedTreeOf(r.source ?? "")).filter((t) => t !== undefined),
  );
  return { keptTrees, inFlightTrees };
}

function observeDisk(blobs: BlobStore, sourcesDir: string) {
  const shards = entries(join(blobs.root, "sha256"));
  return {
    blobs: shards.flatMap((shard) =>
      entries(join(blobs.root, "sha256", shard.name)).map((e) => ({ ...e, name: shard.name + e.name })),
    ),
    trees: entries(join(blobs.root, "trees"))
      .filter((e) => e.name.endsWith(".json"))
      .map((e) => {
        const name = e.name.slice(0, -".json".length);
        return { ...e, name, blobs: blobsNamed(blobs.treeFile(name)) };
      }),
    sources: entries(sourcesDir, true),
    partials: entries(blobs.partialDir),
    temps: entries(blobs.tmpDir),
  };
}

/** The blobs a kept manifest names; an unreadable one names none (and is collected as old). */
function blobsNamed(file: string): string[] {
  try {
    return blobsOf(JSON.parse(readFileSync(file, "utf8")) as TreeManifest);
  } catch {
    return [];
  }
}

/** The entries of `dir` (none when it is not there), with their size (`deep`: of everything under them). */
function entries(dir: string, deep = false): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const st = statSync(join(dir, name));
      return [
        { name, mtimeMs: st.mtimeMs, bytes: deep && st.isDirectory() ? dirBytes(join(dir, name)) : st.size },
      ];
    } catch {
      return [];
    }
  });
}

function dirBytes(dir: string): number {
  return sum(
    readdirSync(dir, { withFileTypes: true }).map((d) => {
      const p = join(dir, d.name);
      return d.isDirectory() ? dirBytes(p) : d.isFile() ? statSync(p).size : 0;
    }),
  );
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
