import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { treeHashOf } from "@slipway/core";
import { afterAll, describe, expect, it } from "vitest";
import { BlobStore } from "./blob-store";
import { materialiseTree } from "./uploaded-tree";

const root = mkdtempSync("/tmp/slipway-blobs-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const limits = { maxBytes: 1024, idleMs: 10_000 };
const tmpFiles = (store: string) => readdirSync(join(store, "tmp"));

describe("BlobStore", () => {
  const dir = join(root, "blobs");
  const blobs = new BlobStore(dir);

  it("stores a body under its hash, once", async () => {
    const h = sha("hello\n");
    expect(blobs.missing([h, h])).toEqual([h]);
    expect(await blobs.receive(h, Readable.from([Buffer.from("hello\n")]), limits)).toEqual({
      bytes: 6,
      stored: true,
    });
    expect(readFileSync(blobs.pathOf(h), "utf8")).toBe("hello\n");
    expect(blobs.pathOf(h)).toBe(join(dir, "sha256", h.slice(0, 2), h.slice(2)));
    expect(blobs.missing([h])).toEqual([]);
    expect(await blobs.receive(h, Readable.from([Buffer.from("hello\n")]), limits)).toMatchObject({
      stored: false,
    });
  });

  it("refuses a body that does not match its name, keeping nothing", async () => {
    const h = sha("expected");
    await expect(blobs.receive(h, Readable.from([Buffer.from("other")]), limits)).rejects.toMatchObject({
      code: "SLW_BLOB_MISMATCH",
      detail: { expected: h, got: sha("other") },
    });
    expect(blobs.has(h)).toBe(false);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it("cuts off a body over the limit, keeping nothing", async () => {
    const big = "x".repeat(2000);
    await expect(blobs.receive(sha(big), Readable.from([Buffer.from(big)]), limits)).rejects.toMatchObject({
      code: "SLW_PAYLOAD_TOO_LARGE",
    });
    expect(blobs.has(sha(big))).toBe(false);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it("keeps nothing of a body cut part way, nor of one that stalls", async () => {
    const cut = new PassThrough();
    const receiving = blobs.receive(sha("whole body"), cut, limits);
    cut.write("whole");
    setImmediate(() => cut.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
    await expect(receiving).rejects.toMatchObject({
      code: "SLW_BAD_REQUEST",
      message: expect.stringMatching(/was cut after 5 bytes/),
    });
    const stalled = new PassThrough();
    stalled.write("who");
    await expect(blobs.receive(sha("whole body"), stalled, { ...limits, idleMs: 20 })).rejects.toMatchObject({
      code: "SLW_BAD_REQUEST",
      message: expect.stringMatching(/stalled/),
    });
    expect(blobs.has(sha("whole body"))).toBe(false);
    expect(tmpFiles(dir)).toEqual([]);
  });
});

describe("BlobStore, resumable", () => {
  const dir = join(root, "resumable");
  const blobs = new BlobStore(dir);
  const body = "0123456789".repeat(100);
  const h = sha(body);
  const total = body.length;

  it("keeps what a cut body delivered, takes the rest from there, and stores the blob only when whole", async () => {
    const cut = new PassThrough();
    const first = blobs.receiveRange(h, cut, { start: 0, total }, limits);
    cut.write(body.slice(0, 400));
    await until(() => blobs.partialBytes(h) === 400);
    cut.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    await expect(first).rejects.toMatchObject({
      code: "SLW_BAD_REQUEST",
      message: expect.stringMatching(/was cut at byte 400 of 1000: those bytes are kept/),
      detail: { offset: 400 },
    });
    expect(blobs.has(h)).toBe(false);
    // A body that does not start where the kept bytes end writes nothing, and says where to start.
    await expect(
      blobs.receiveRange(h, Readable.from([Buffer.from(body.slice(300))]), { start: 300, total }, limits),
    ).rejects.toMatchObject({ code: "SLW_CONFLICT", detail: { offset: 400 } });
    // A body that ends early (no cut) is kept too.
    await expect(
      blobs.receiveRange(
        h,
        Readable.from([Buffer.from(body.slice(400, 700))]),
        { start: 400, total },
        limits,
      ),
    ).rejects.toMatchObject({ detail: { offset: 700 } });
    expect(blobs.partialBytes(h)).toBe(700);
    expect(blobs.has(h)).toBe(false);
    const rest = await blobs.receiveRange(
      h,
      Readable.from([Buffer.from(body.slice(700))]),
      { start: 700, total },
      limits,
    );
    expect(rest).toEqual({ bytes: total, stored: true });
    expect(readFileSync(blobs.pathOf(h), "utf8")).toBe(body);
    expect(blobs.partialBytes(h)).toBe(0);
  });

  it("drops the partial when the whole does not hash to the name, or the body runs past the range", async () => {
    const other = sha("another file");
    await expect(
      blobs.receiveRange(
        other,
        Readable.from([Buffer.from(body.slice(0, 10))]),
        { start: 0, total: 12 },
        limits,
      ),
    ).rejects.toMatchObject({ detail: { offset: 10 } });
    await expect(
      blobs.receiveRange(other, Readable.from([Buffer.from("xx")]), { start: 10, total: 12 }, limits),
    ).rejects.toMatchObject({ code: "SLW_BLOB_MISMATCH" });
    expect(blobs.partialBytes(other)).toBe(0);
    expect(blobs.has(other)).toBe(false);
    await expect(
      blobs.receiveRange(other, Readable.from([Buffer.from("too long")]), { start: 0, total: 3 }, limits),
    ).rejects.toMatchObject({ code: "SLW_BAD_REQUEST", message: expect.stringMatching(/runs past/) });
    expect(blobs.partialBytes(other)).toBe(0);
    await expect(
      blobs.receiveRange(other, Readable.from([]), { start: 0, total: 5000 }, limits),
    ).rejects.toMatchObject({ code: "SLW_PAYLOAD_TOO_LARGE" });
  });

  it("lets one request at a time append to a partial", async () => {
    const slow = new PassThrough();
    const x = sha("x".repeat(10));
    const first = blobs.receiveRange(x, slow, { start: 0, total: 10 }, limits);
    await expect(
      blobs.receiveRange(x, Readable.from([Buffer.from("x".repeat(10))]), { start: 0, total: 10 }, limits),
    ).rejects.toMatchObject({ code: "SLW_CONFLICT" });
    slow.end("x".repeat(10));
    await expect(first).resolves.toEqual({ bytes: 10, stored: true });
  });
});

/** Polls (bounded) until `check` holds. */
async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe("materialiseTree", () => {
  const blobs = new BlobStore(join(root, "tree-blobs"));
  const sources = join(root, "sources");
  const put = (s: string) => blobs.receive(sha(s), Readable.from([Buffer.from(s)]), limits);

  it("writes the tree from blobs, with modes, under its tree hash", async () => {
    await put("console.log(1)\n");
    await put("#!/bin/sh\n");
    const tree = {
      files: [
        { path: "bin/run", mode: 0o755, size: 10, sha256: sha("#!/bin/sh\n") },
        { path: "lib/a.mjs", mode: 0o644, size: 15, sha256: sha("console.log(1)\n") },
        { path: "z.mjs", mode: 0o644, size: 15, sha256: sha("console.log(1)\n") },
      ],
    };
    const hash = materialiseTree(blobs, sources, tree);
    expect(hash).toBe(treeHashOf(tree));
    expect(readFileSync(join(sources, hash, "z.mjs"), "utf8")).toBe("console.log(1)\n");
    expect(statSync(join(sources, hash, "bin/run")).mode & 0o777).toBe(0o755);
    expect(readdirSync(sources)).toEqual([hash]);
  });

  it("refuses a missing blob, a wrong size or a hostile path, writing nothing", async () => {
    const before = readdirSync(sources);
    const file = (path: string, s: string, size = s.length) => ({ path, mode: 0o644, size, sha256: sha(s) });
    const attempt = (f: ReturnType<typeof file>) => () => materialiseTree(blobs, sources, { files: [f] });
    expect(attempt(file("a", "never uploaded"))).toThrow(
      expect.objectContaining({ code: "SLW_BLOBS_MISSING" }),
    );
    expect(attempt(file("a", "#!/bin/sh\n", 3))).toThrow(/manifest says 3 bytes/);
    expect(attempt(file("../../etc/passwd", "#!/bin/sh\n"))).toThrow(
      expect.objectContaining({ code: "SLW_SOURCE_INVALID" }),
    );
    expect(readdirSync(sources)).toEqual(before);
  });
});
