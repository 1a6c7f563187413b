import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packRef } from "../packages/cli/src/upload/pack-ref";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  removeProject,
  slipway,
  upDetached,
} from "./harness";

const sha = (body: string | Buffer) => createHash("sha256").update(body).digest("hex");

interface Deployed {
  release: number;
  upload: {
    files: number;
    bytes: number;
    wireBytes: number;
    treeFiles: number;
    treeBytes: number;
    resumedBytes: number;
    tree: string;
  };
}

/**
 * Source upload by content, against a real control plane. The control plane runs on its own
 * copy of the example stack (`server`); the CLI deploys another copy (`laptop`) with only the
 * API's URL and a token, as it would to a remote server: what goes live is the laptop's tree,
 * sent blob by blob, never a path of the server's disk.
 */
describe("deploy by uploading the tree", () => {
  let server: string;
  let laptop: string;
  let api: string;
  let edge: string;
  let admin: string;
  const asLaptop = (token = admin) => ({ ...process.env, SLIPWAY_URL: api, SLIPWAY_TOKEN: token });
  const deploy = async (token = admin) => {
    const r = await slipway(["deploy", "--dir", laptop, "--upload", "--json"], { env: asLaptop(token) });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return JSON.parse(r.stdout) as Deployed;
  };
  const call = (method: string, path: string, body?: unknown, token = admin) =>
    fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const putBlob = (hash: string, body: string, token = admin) =>
    fetch(`${api}/v1/blobs/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body,
    });
  const missing = async (hashes: string[]) =>
    ((await (await call("POST", "/v1/sources/missing", { hashes })).json()) as { missing: string[] }).missing;
  const page = async () => (await fetch(`${edge}/`)).text();
  const blobsTmp = () => join(server, ".slipway", "blobs", "tmp");

  beforeAll(async () => {
    server = makeProject("upload-server");
    laptop = makeProject("upload-laptop");
    editFile(join(laptop, "public", "index.html"), (t) =>
      t.replace("<body>", "<body><!-- from the laptop -->"),
    );
    const up = await upDetached(server);
    api = up.api;
    edge = up.edge;
    admin = up.token!;
  });

  afterAll(async () => {
    await finishProject(server);
    if (laptop) removeProject(laptop);
  });

  it("uploads the whole tree the first time, and deploys the laptop's files", async () => {
    expect(await page()).not.toContain("from the laptop");
    const d = await deploy();
    expect(d.release).toBe(2);
    expect(d.upload.treeFiles).toBeGreaterThan(15);
    expect(d.upload).toMatchObject({ files: d.upload.treeFiles, bytes: d.upload.treeBytes });
    expect(await page()).toContain("from the laptop");
    // The build of an uploaded tree is named by the tree hash, as a working-tree build is.
    const { releases } = await getJson<{ releases: { number: number; buildId: string }[] }>(
      `${api}/v1/environments/local/releases`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(releases.find((r) => r.number === 2)?.buildId).toBe(d.upload.tree);
  });

  it("uploads only the file that changed", async () => {
    editFile(join(laptop, "public", "index.html"), (t) =>
      t.replace("from the laptop", "changed on the laptop"),
    );
    const d = await deploy();
    const html = readFileSync(join(laptop, "public", "index.html"));
    expect(d.upload).toMatchObject({ files: 1, bytes: html.length });
    expect(d.upload.bytes).toBeLessThan(d.upload.treeBytes / 10);
    // Sent gzipped: HTML shrinks.
    expect(d.upload.wireBytes).toBeGreaterThan(0);
    expect(d.upload.wireBytes).toBeLessThan(html.length);
    expect(d.release).toBe(3);
    expect(await page()).toContain("changed on the laptop");
    // Nothing changed: nothing is sent, and the same build is reused.
    const again = await deploy();
    expect(again.upload).toMatchObject({ files: 0, bytes: 0, tree: d.upload.tree });
  });

  it("refuses a blob whose body does not match its hash, and stores nothing", async () => {
    const claimed = sha("what the manifest says\n");
    const r = await putBlob(claimed, "something else\n");
    expect(r.status).toBe(422);
    expect(await r.json()).toMatchObject({ code: "SLW_BLOB_MISMATCH" });
    expect(await missing([claimed])).toEqual([claimed]);
    expect(readdirSync(blobsTmp())).toEqual([]);
    // Nor is a body that claims to be gzip and is not.
    const broken = await fetch(`${api}/v1/blobs/${claimed}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${admin}`,
        "content-type": "application/octet-stream",
        "content-encoding": "gzip",
      },
      body: "what the manifest says\n",
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      code: "SLW_BAD_REQUEST",
      detail: expect.stringMatching(/not valid gzip/),
    });
    expect(await missing([claimed])).toEqual([claimed]);
    // The right body under the same name is taken, gzipped as the CLI sends it.
    const gzipped = await fetch(`${api}/v1/blobs/${claimed}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${admin}`,
        "content-type": "application/octet-stream",
        "content-encoding": "gzip",
      },
      body: gzipSync("what the manifest says\n"),
    });
    expect(gzipped.status).toBe(201);
    expect(await missing([claimed])).toEqual([]);
  });

  it("keeps nothing of an upload cut mid-body; the next deploy sends only what is missing", async () => {
    const body = Buffer.alloc(256 * 1024, "slipway ");
    writeFileSync(join(laptop, "public", "big.txt"), body);
    const hash = sha(body);
    await cutMidBody(`${api}/v1/blobs/${hash}`, admin, body, blobsTmp(), async () => {
      // Half of it is on the server's disk now, and still it is not there.
      expect(await missing([hash])).toEqual([hash]);
    });
    // The server notices the cut and removes its temp file.
    await eventually(async () => readdirSync(blobsTmp()).length === 0, 20_000);
    expect(await missing([hash])).toEqual([hash]);
    const d = await deploy();
    expect(d.upload).toMatchObject({ files: 1, bytes: body.length });
    expect((await fetch(`${edge}/`)).status).toBe(200);
  });

  it("deploys a commit of the CLI's repository with --ref, not its working tree", async () => {
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", laptop, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "the laptop's stack");
    editFile(join(laptop, "public", "index.html"), (t) =>
      t.replace("<body>", "<body><!-- not committed -->"),
    );
    const r = await slipway(["deploy", "--dir", laptop, "--ref", "HEAD", "--upload", "--json"], {
      env: asLaptop(),
    });
    expect(r.code, r.stderr).toBe(0);
    // The commit is the tree deployed last: every blob is there already.
    expect((JSON.parse(r.stdout) as Deployed).upload).toMatchObject({ files: 0, bytes: 0 });
    const html = await page();
    expect(html).toContain("changed on the laptop");
    expect(html).not.toContain("not committed");
  });

  it("refuses a second deploy of a tree while the first is in flight", async () => {
    const { tree } = await packRef(laptop, "HEAD");
    const [a, b] = await Promise.all(
      [1, 2].map(() => call("POST", "/v1/environments/local/deploys", { tree })),
    );
    expect([a!.status, b!.status].sort()).toEqual([202, 409]);
    const refused = (await (a!.status === 409 ? a! : b!).json()) as { code: string };
    expect(refused.code).toBe("SLW_CONFLICT");
    const { rollout } = (await (a!.status === 202 ? a! : b!).json()) as { rollout: { id: string } };
    await eventually(async () => {
      const view = await getJson<{ rollout: { phase: string } }>(`${api}/v1/rollouts/${rollout.id}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      return ["succeeded", "failed"].includes(view.rollout.phase) && view.rollout.phase;
    }, 60_000).then((phase) => expect(phase).toBe("succeeded"));
  });

  it("refuses a deploy naming a blob that was never uploaded, and deploys nothing", async () => {
    const before = await releaseCount();
    const r = await call("POST", "/v1/environments/local/deploys", {
      tree: { files: [{ path: "web.mjs", mode: 0o644, size: 5, sha256: sha("never sent") }] },
    });
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ code: "SLW_BLOBS_MISSING" });
    expect(await releaseCount()).toBe(before);
  });

  it.each(["../../etc/passwd", "/etc/passwd", "public/../../../etc/shadow"])(
    "refuses the path %j in a manifest before reading anything",
    async (path) => {
      const known = sha("what the manifest says\n"); // uploaded above: only the path is wrong
      const r = await call("POST", "/v1/environments/local/deploys", {
        tree: { files: [{ path, mode: 0o644, size: 23, sha256: known }] },
      });
      expect(r.status).toBe(400);
      const p = (await r.json()) as { code: string; detail: string };
      expect(p.code).toBe("SLW_SOURCE_INVALID");
      expect(p.detail).toMatch(/^tree\.files\[0\]\.path: /);
      expect(readdirSync(join(server, ".slipway", "sources")).filter((d) => d.startsWith(".tmp"))).toEqual(
        [],
      );
    },
  );

  it.each(["../slipway.config.ts", "lib/slipway.config.ts", "/etc/passwd", "api.mjs"])(
    "refuses %j as the spec sent with a tree, naming the field, and deploys nothing",
    async (path) => {
      const before = await releaseCount();
      const { tree } = await packRef(laptop, "HEAD");
      const known = sha("what the manifest says\n");
      const r = await call("POST", "/v1/environments/local/deploys", {
        tree,
        spec: { path, mode: 0o644, size: 23, sha256: known },
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({
        code: "SLW_SOURCE_INVALID",
        detail: expect.stringMatching(/^spec\.path: /),
      });
      expect(await releaseCount()).toBe(before);
    },
  );

  it("lets a viewer neither upload, nor ask what is missing, nor deploy a tree", async () => {
    const created = await call("POST", "/v1/tokens", { name: "watcher", role: "viewer" });
    const { token: viewer } = (await created.json()) as { token: string };
    const hash = sha("viewer's file\n");
    expect((await putBlob(hash, "viewer's file\n", viewer)).status).toBe(403);
    expect((await call("POST", "/v1/sources/missing", { hashes: [hash] }, viewer)).status).toBe(403);
    const r = await slipway(["deploy", "--dir", laptop, "--upload", "--json"], { env: asLaptop(viewer) });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("SLW_FORBIDDEN");
    expect(existsSync(join(server, ".slipway", "blobs", "sha256", hash.slice(0, 2), hash.slice(2)))).toBe(
      false,
    );
  });

  it("resumes a blob cut mid-body: the server keeps what arrived, the next deploy sends only the rest", async () => {
    // Not compressible, so what is sent is what the file holds.
    const body = Buffer.from(Array.from({ length: 384 * 1024 }, (_, i) => (i * 7919) % 251));
    writeFileSync(join(laptop, "public", "resumable.bin"), body);
    const hash = sha(body);
    const partials = join(server, ".slipway", "blobs", "partial");
    // A first attempt, resumable as the CLI sends it, cut halfway.
    const range = { "content-range": `bytes 0-${body.length - 1}/${body.length}` };
    await cutMidBody(`${api}/v1/blobs/${hash}`, admin, body, partials, async () => {}, range);
    const half = body.length / 2;
    const asked = async () =>
      (await (await call("POST", "/v1/sources/missing", { hashes: [hash] })).json()) as {
        missing: string[];
        partial: Record<string, number>;
      };
    await eventually(async () => (await asked()).partial[hash] === half, 20_000);
    expect((await asked()).missing).toEqual([hash]);

    const d = await deploy();
    // The rest of it, and index.html (edited, not committed, by the --ref test above).
    const html = statSync(join(laptop, "public", "index.html")).size;
    expect(d.upload).toMatchObject({ files: 2, bytes: body.length - half + html, resumedBytes: half });
    const stored = join(server, ".slipway", "blobs", "sha256", hash.slice(0, 2), hash.slice(2));
    expect(readFileSync(stored).equals(body)).toBe(true);
    expect(readdirSync(partials)).toEqual([]);
    expect((await fetch(`${edge}/`)).status).toBe(200);
  });

  it("collects what no kept release, rollout in flight or upload in flight needs (slipway server gc)", async () => {
    const blobs = join(server, ".slipway", "blobs");
    const blobFile = (h: string) => join(blobs, "sha256", h.slice(0, 2), h.slice(2));
    const sources = join(server, ".slipway", "sources");
    // Given everything uploaded so far made two hours ago (past the grace time), an abandoned
    // partial upload a day old, and a blob the server was just asked about (an upload in flight).
    const orphan = sha("what the manifest says\n"); // uploaded above, never deployed
    const asked = sha("asked about just now\n");
    expect((await putBlob(asked, "asked about just now\n")).status).toBe(201);
    const abandoned = Buffer.alloc(4096, "a");
    await cutMidBody(
      `${api}/v1/blobs/${sha(abandoned)}`,
      admin,
      abandoned,
      join(blobs, "partial"),
      async () => {},
      {
        "content-range": `bytes 0-${abandoned.length - 1}/${abandoned.length}`,
      },
    );
    await eventually(async () => existsSync(join(blobs, "partial", sha(abandoned))), 20_000);
    backdate(blobs, 2);
    backdate(sources, 2);
    backdate(join(blobs, "partial"), 25);
    expect(await missing([asked])).toEqual([]);
    // What the deployed trees name is kept beside them.
    expect(readdirSync(join(blobs, "trees")).length).toBeGreaterThan(0);

    // A deployer may not run it.
    const created = await call("POST", "/v1/tokens", { name: "gc-deployer", role: "deployer" });
    const { token: deployer } = (await created.json()) as { token: string };
    const refused = await slipway(["server", "gc", "--json"], { env: asLaptop(deployer) });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain("SLW_FORBIDDEN");

    // When an admin runs it, then it says what it freed...
    const r = await slipway(["server", "gc", "--json"], { env: asLaptop() });
    expect(r.code, r.stderr).toBe(0);
    type Freed = { count: number; bytes: number };
    const report = JSON.parse(r.stdout) as {
      blobs: Freed;
      sources: Freed;
      partials: Freed;
      freedBytes: number;
    };
    expect(report.blobs.count).toBeGreaterThanOrEqual(1);
    expect(report.partials).toEqual({ count: 1, bytes: abandoned.length / 2 });
    expect(report.sources.count).toBeGreaterThanOrEqual(1);
    expect(report.freedBytes).toBeGreaterThan(abandoned.length);
    // ...the blob never deployed, the partial and the built source trees are gone...
    expect(existsSync(blobFile(orphan))).toBe(false);
    expect(readdirSync(join(blobs, "partial"))).toEqual([]);
    expect(readdirSync(sources)).toEqual([]);
    // ...while the blob asked about, and every blob of the kept releases' trees, stay.
    expect(existsSync(blobFile(asked))).toBe(true);
    const kept = await slipway(["deploy", "--dir", laptop, "--upload", "--json"], { env: asLaptop() });
    expect(kept.code, kept.stderr).toBe(0);
    expect((JSON.parse(kept.stdout) as Deployed).upload).toMatchObject({ files: 0, bytes: 0 });
    expect((await fetch(`${edge}/`)).status).toBe(200);
    const events = await getJson<{ events: { kind: string; actor: string }[] }>(
      `${api}/v1/events?limit=200`,
      {
        headers: { authorization: `Bearer ${admin}` },
      },
    );
    expect(events.events.filter((e) => e.kind === "sources.gc").length).toBeGreaterThanOrEqual(1);
  });

  async function releaseCount(): Promise<number> {
    const { releases } = await getJson<{ releases: unknown[] }>(`${api}/v1/environments/local/releases`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    return releases.length;
  }
});

/**
 * Sends the headers and half of `body`, runs `meanwhile` once the server has written that half
 * to a temp file in `tmpDir`, then destroys the socket, as a dropped network would.
 */
async function cutMidBody(
  url: string,
  token: string,
  body: Buffer,
  tmpDir: string,
  meanwhile: () => Promise<void>,
  headers: Record<string, string> = {},
): Promise<void> {
  const req = request(url, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      ...headers,
    },
  });
  req.on("error", () => {});
  req.write(body.subarray(0, body.length / 2));
  try {
    await eventually(async () => tempBytes(tmpDir) >= body.length / 2);
    await meanwhile();
  } finally {
    req.destroy();
  }
}

/** Sets the times of everything under `dir` `hours` back, as if it had been made then. */
function backdate(dir: string, hours: number): void {
  const then = new Date(Date.now() - hours * 3_600_000);
  for (const name of readdirSync(dir, { recursive: true }) as string[])
    utimesSync(join(dir, name), then, then);
}

const tempBytes = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) : 0;
