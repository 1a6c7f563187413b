// `npm run bench -- remote [--quick]`: deploying the example stack to a control plane that
// does not share the CLI's disk, by uploading the tree by content: bytes sent and time for the
// first deploy (an empty blob store) and for a one-file change. Reference, same tree, same
// run: what a naive upload sends every time, the whole tree as a tarball (raw and gzipped).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { editFile, makeProject, removeProject, slipway } from "../e2e/harness";
import { packWorkingTree } from "../packages/cli/src/upload/pack-working-tree";

interface Deployed {
  seconds: number;
  upload: { files: number; bytes: number; wireBytes: number; treeFiles: number; treeBytes: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const kb = (bytes: number) => bytes / 1024;

export default async function remoteBench({ quick }: { quick: boolean }) {
  const changes = quick ? 1 : 5;
  const server = makeProject("bench-remote-server");
  const laptop = makeProject("bench-remote-laptop");
  try {
    const up = await slipway(["up", "--detach", "--dir", server, "--port", "0", "--api-port", "0", "--json"]);
    if (up.code !== 0) throw new Error(up.stderr);
    const { controlPlane, adminToken } = JSON.parse(up.stdout) as {
      controlPlane: string;
      adminToken: string;
    };
    const env = { ...process.env, SLIPWAY_URL: controlPlane, SLIPWAY_TOKEN: adminToken };
    const deploy = async () => {
      const d = await slipway(["deploy", "--dir", laptop, "--upload", "--json"], { env });
      if (d.code !== 0) throw new Error(d.stderr + d.stdout);
      return JSON.parse(d.stdout) as Deployed;
    };

    const first = await deploy();
    const changed: Deployed[] = [];
    for (let i = 0; i < changes; i++) {
      editFile(join(laptop, "public", "index.html"), (t) => `${t}<!-- change ${i} -->\n`);
      changed.push(await deploy());
    }
    const tarball = await tarballBytes(laptop);

    const change = {
      kb: median(changed.map((d) => kb(d.upload.bytes))),
      wireKb: median(changed.map((d) => kb(d.upload.wireBytes))),
      files: median(changed.map((d) => d.upload.files)),
      s: median(changed.map((d) => d.seconds)),
    };
    const cell = (v: string, w = 18) => v.padStart(w);
    console.log(
      `\nexample stack deployed to a control plane by upload (${changes} one-file change(s), medians)`,
    );
    console.log(`${"".padEnd(36)}${cell("first deploy")}${cell("one-file change")}`);
    console.log(
      `${"slipway: blobs uploaded".padEnd(36)}${cell(`${first.upload.files} files`)}${cell(`${change.files} files`)}`,
    );
    console.log(
      `${"slipway: file bytes uploaded".padEnd(36)}${cell(`${kb(first.upload.bytes).toFixed(1)} kB`)}${cell(`${change.kb.toFixed(1)} kB`)}`,
    );
    console.log(
      `${"slipway: on the wire (gzip per blob)".padEnd(36)}${cell(`${kb(first.upload.wireBytes).toFixed(1)} kB`)}${cell(`${change.wireKb.toFixed(1)} kB`)}`,
    );
    console.log(
      `${"naive: whole tree as .tar".padEnd(36)}${cell(`${kb(tarball.raw).toFixed(1)} kB`)}${cell(`${kb(tarball.raw).toFixed(1)} kB`)}`,
    );
    console.log(
      `${"naive: whole tree as .tar.gz".padEnd(36)}${cell(`${kb(tarball.gzip).toFixed(1)} kB`)}${cell(`${kb(tarball.gzip).toFixed(1)} kB`)}`,
    );
    console.log(
      `${"slipway deploy, start to live (s)".padEnd(36)}${cell(first.seconds.toFixed(1))}${cell(change.s.toFixed(1))}`,
    );
    console.log(
      `tree: ${first.upload.treeFiles} files, ${kb(first.upload.treeBytes).toFixed(1)} kB; a one-file change sends ${((100 * change.wireKb) / kb(tarball.gzip)).toFixed(1)}% of the gzipped tarball`,
    );
    return {
      first_upload_kb: kb(first.upload.wireBytes).toFixed(1),
      change_upload_kb: change.wireKb.toFixed(1),
      tree_kb: kb(first.upload.treeBytes).toFixed(1),
      tarball_gz_kb: kb(tarball.gzip).toFixed(1),
      remote_deploy_s: first.seconds.toFixed(1),
      change_deploy_s: change.s.toFixed(1),
    };
  } finally {
    await slipway(["down", "--dir", server]);
    removeProject(server);
    removeProject(laptop);
  }
}

/** Sizes of a tar of the files a deploy packs (the same list), raw and gzipped. */
async function tarballBytes(dir: string): Promise<{ raw: number; gzip: number }> {
  const paths = (await packWorkingTree(dir)).tree.files.map((f) => f.path);
  const tar = spawn("tar", ["-c", "-f", "-", "-C", dir, "--null", "-T", "-"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  tar.stdin.end(paths.map((p) => `${p}\0`).join(""));
  const gzip = createGzip();
  let raw = 0;
  let zipped = 0;
  tar.stdout.on("data", (b: Buffer) => (raw += b.length));
  gzip.on("data", (b: Buffer) => (zipped += b.length));
  const done = new Promise((r) => gzip.once("end", r));
  tar.stdout.pipe(gzip);
  await done;
  return { raw, gzip: zipped };
}
