import { randomBytes } from "node:crypto";
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { dirname, join } from "node:path";
import {
  blobsOf,
  checkSpecFile,
  checkTree,
  SlipwayError,
  type TreeFile,
  type TreeManifest,
  treeHashOf,
  withSpec,
} from "@slipway/core";
import type { BlobStore } from "./blob-store";

/** A rollout's `source` for an uploaded tree: `upload:<tree hash>`. */
const PREFIX = "upload:";
export const uploadSource = (treeHash: string): string => `${PREFIX}${treeHash}`;

/** The tree hash of a rollout source naming an uploaded tree, or undefined for a ref or the working tree. */
export function uploadedTreeOf(source: string): string | undefined {
  const hash = source.startsWith(PREFIX) ? source.slice(PREFIX.length) : undefined;
  return hash && /^[0-9a-f]{32}$/.test(hash) ? hash : undefined;
}

/**
 * Checks an uploaded manifest (and the spec sent with it), that every blob it names is here
 * (verified when it was stored), and writes the stack's directory into
 * `sourcesDir/<hash of tree and spec>`, a directory the control plane owns, from blobs alone:
 * no path the client names is ever read, and no symlink is made. The directory appears (by
 * rename) only complete. A build of it leaves the spec out, so its build id is the tree's hash.
 * Returns the directory's hash.
 */
export function materialiseTree(
  blobs: BlobStore,
  sourcesDir: string,
  tree: TreeManifest,
  spec?: TreeFile,
): string {
  const check = checkTree(tree);
  const bad = check.ok ? spec && checkSpecFile(spec) : check;
  if (bad && !bad.ok)
    throw new SlipwayError(
      "SLW_SOURCE_INVALID",
      `${bad.field}: ${bad.problem}`,
      "upload the stack's directory with `slipway deploy`, which packs it the way builds read it",
      { field: bad.field },
    );
  const manifest = withSpec(tree, spec);
  const missing = blobs.missing(blobsOf(manifest));
  if (missing.length)
    throw new SlipwayError(
      "SLW_BLOBS_MISSING",
      `${missing.length} file blob(s) of the tree are not uploaded yet, e.g. ${missing[0]}: nothing was deployed`,
      "upload them (POST /v1/sources/missing, then PUT /v1/blobs/<sha256>) and deploy again; `slipway deploy` resumes by itself",
      { missing: missing.slice(0, 100), count: missing.length },
    );
  const hash = treeHashOf(manifest);
  const dir = join(sourcesDir, hash);
  // Touched, like the manifest: the collector spares what was touched within its grace time,
  // and the rollout that will name this tree is not stored yet.
  blobs.keepTree(hash, manifest);
  if (existsSync(dir)) {
    const now = new Date();
    utimesSync(dir, now, now);
    return hash;
  }
  const tmp = join(sourcesDir, `.tmp-${hash}-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    for (const f of manifest.files) writeFile(blobs, tmp, f);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another deploy of the same tree got there first: its copy is the same.
      if (!existsSync(dir)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return hash;
}

function writeFile(blobs: BlobStore, root: string, f: TreeManifest["files"][number]): void {
  const blob = blobs.pathOf(f.sha256);
  const size = statSync(blob).size;
  if (size !== f.size)
    throw new SlipwayError(
      "SLW_SOURCE_INVALID",
      `${f.path}: the manifest says ${f.size} bytes, its blob ${f.sha256} has ${size}`,
      "send each file's real size; the CLI does",
      { field: "size", path: f.path },
    );
  const to = join(root, f.path);
  mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
  copyFileSync(blob, to, constants.COPYFILE_EXCL);
  chmodSync(to, f.mode);
}
