import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { openStore, type Store } from "@slipway/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStore } from "./blob-store";
import { collectGarbage, GC_DEFAULTS } from "./gc";
import { materialiseTree, uploadSource } from "./uploaded-tree";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const limits = { maxBytes: 1 << 20, idleMs: 10_000 };
const HOUR = 3_600_000;

/** Everything under `dir` made `hours` ago. */
function backdate(dir: string, hours: number) {
  const then = new Date(Date.now() - hours * HOUR);
  for (const name of readdirSync(dir, { recursive: true }) as string[])
    utimesSync(join(dir, name), then, then);
}

/**
 * The collector against a real store and real files: what kept releases and rollouts in
 * flight name stays, the rest goes, and a deploy that touches a tree while a collection is
 * under way keeps everything it is about to use.
 */
describe("collectGarbage", () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-gc-"));
  const blobs = new BlobStore(join(root, "blobs"));
  const sources = join(root, "sources");
  let store: Store;
  let environmentId: string;
  let stackId: string;
  const put = (s: string) => blobs.receive(sha(s), Readable.from([Buffer.from(s)]), limits);
  const treeOf = (...contents: string[]) => ({
    files: contents.map((c, i) => ({ path: `f${i}.txt`, mode: 0o644, size: c.length, sha256: sha(c) })),
  });
  /** Uploads and writes out a tree; with `release`, records a release built from it. */
  async function deployed(contents: string[], release: boolean) {
    for (const c of contents) await put(c);
    const hash = materialiseTree(blobs, sources, treeOf(...contents));
    if (release) {
      await store.releases.upsertBuild({
        id: hash,
        stackId,
        source: uploadSource(hash),
        gitSha: null,
        dir: "/x",
      });
      await store.releases.createRelease({
        environmentId,
        buildId: hash,
        config: { services: {}, routes: [] },
        configHash: hash,
        description: "test",
        rollbackOf: null,
        jobStatus: "none",
      });
    }
    return hash;
  }

  beforeAll(async () => {
    store = await openStore();
    stackId = await store.environments.upsertStack("shop", "/tmp/shop");
    environmentId = (await store.environments.ensure(stackId, "local")).id;
  });
  afterAll(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("keeps the newest releases' blobs and a rollout in flight's source, removes the rest", async () => {
    const old = await deployed(["shared\n", "only in the old release\n"], true);
    const kept = await deployed(["shared\n", "in the kept release\n"], true);
    const building = await deployed(["being built\n"], false);
    await store.rollouts.create({
      environmentId,
      kind: "deploy",
      fromReleaseId: null,
      toReleaseId: null,
      source: uploadSource(building),
      config: { services: {}, routes: [] },
      actor: "test",
    });
    await put("uploaded, never deployed\n");
    backdate(root, 2);

    const r = await collectGarbage(store, blobs, sources, { ...GC_DEFAULTS, keepReleases: 1 }, Date.now());

    const has = (s: string) => blobs.has(sha(s));
    expect([has("shared\n"), has("in the kept release\n"), has("being built\n")]).toEqual([true, true, true]);
    expect([has("only in the old release\n"), has("uploaded, never deployed\n")]).toEqual([false, false]);
    expect(readdirSync(sources)).toEqual([building]);
    expect(existsSync(blobs.treeFile(old))).toBe(false);
    expect(existsSync(blobs.treeFile(kept))).toBe(true);
    expect(r.blobs).toEqual({
      count: 2,
      bytes: "only in the old release\n".length + "uploaded, never deployed\n".length,
    });
    expect(r.sources.count).toBe(2);
    expect(r.freedBytes).toBeGreaterThan(0);
  });

  it("spares the tree a server's stack link reads its spec from", async () => {
    const linked = await deployed(["the spec's tree\n"], false);
    backdate(root, 2);
    await collectGarbage(store, blobs, sources, GC_DEFAULTS, Date.now(), [linked]);
    expect(readdirSync(sources)).toContain(linked);
    expect(blobs.has(sha("the spec's tree\n"))).toBe(true);
  });

  it("spares what a deploy touches while a collection runs: the blobs it was told it need not send, its tree", async () => {
    const contents = ["a file of an old tree\n", "another\n"];
    const hash = await deployed(contents, false);
    backdate(root, 2);
    // The collection has looked at the disk and waits on the store...
    const collecting = collectGarbage(store, blobs, sources, GC_DEFAULTS, Date.now());
    // ...when a client asks what is missing and deploys that tree again.
    expect(blobs.missing(contents.map(sha))).toEqual([]);
    materialiseTree(blobs, sources, treeOf(...contents));
    await collecting;
    expect(contents.map((c) => blobs.has(sha(c)))).toEqual([true, true]);
    expect(readdirSync(sources)).toContain(hash);
  });
});
