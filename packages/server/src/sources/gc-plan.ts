/** A file or directory under the blob store or the sources directory, as the collector saw it. */
export interface Entry {
  name: string;
  mtimeMs: number;
  bytes: number;
}

/** What the collector observed: the disk, and which trees releases and rollouts still name. */
export interface GcSnapshot {
  now: number;
  /** Verified blobs, by SHA-256. */
  blobs: Entry[];
  /** Tree manifests, by tree hash, with the blobs each names. */
  trees: (Entry & { blobs: string[] })[];
  /** Materialised source trees (and `.tmp-…` leftovers of a crash), by directory name. */
  sources: Entry[];
  /** Kept bytes of resumable uploads, by SHA-256. */
  partials: Entry[];
  /** Temp files of all-or-nothing uploads, left only by a crash. */
  temps: Entry[];
  /** Trees of the releases kept (each environment's newest few and its live one). */
  keptTrees: ReadonlySet<string>;
  /** Trees of rollouts not finished: their builds may still read the source directory. */
  inFlightTrees: ReadonlySet<string>;
}

export interface GcPolicy {
  /**
   * Anything touched this recently stays, whatever names it: an upload in flight (a blob
   * the server was just asked about or sent), a tree between its write-out and its rollout.
   */
  graceMs: number;
  /** A resumable upload nobody continued for this long is dropped. */
  partialTtlMs: number;
}

/** What to remove, by kind: names as in the snapshot. */
export interface GcPlan {
  blobs: string[];
  trees: string[];
  sources: string[];
  partials: string[];
  temps: string[];
}

/**
 * Decides what the blob and source garbage collector removes: a blob no kept tree names, a
 * tree manifest no kept release or rollout in flight names, a source directory no rollout in
 * flight builds from, partials past their time; never anything within the grace time.
 */
export function planGc(s: GcSnapshot, p: GcPolicy): GcPlan {
  const young = (e: Entry) => s.now - e.mtimeMs < p.graceMs;
  const treeKept = (name: string) => s.keptTrees.has(name) || s.inFlightTrees.has(name);
  const keptTrees = s.trees.filter((t) => treeKept(t.name) || young(t));
  const named = new Set(keptTrees.flatMap((t) => t.blobs));
  const names = (es: Entry[]) => es.map((e) => e.name);
  return {
    blobs: names(s.blobs.filter((b) => !named.has(b.name) && !young(b))),
    trees: names(s.trees.filter((t) => !keptTrees.includes(t))),
    sources: names(s.sources.filter((d) => !s.inFlightTrees.has(d.name) && !young(d))),
    partials: names(s.partials.filter((e) => s.now - e.mtimeMs >= p.partialTtlMs)),
    temps: names(s.temps.filter((e) => !young(e))),
  };
}
