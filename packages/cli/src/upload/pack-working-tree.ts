import { createHash } from "node:crypto";
import { createReadStream, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { SlipwayError, SPEC_FILE_NAMES, type TreeFile } from "@slipway/core";
import { listFiles } from "@slipway/driver-local/build";
import { byPath, type PackedTree } from "./pack";

/**
 * Packs the stack's working tree as a build would read it (the same file list: dependencies,
 * Slipway's state, .env files and the spec left out), and the spec beside it. A symlink the build would keep (it
 * leads inside the tree) is packed as the file it points to; one to a directory is refused,
 * since an uploaded tree holds regular files only.
 */
export async function packWorkingTree(dir: string): Promise<PackedTree> {
  const where = new Map<string, string>();
  const files: TreeFile[] = [];
  for (const e of listFiles(dir)) {
    const file = e.link === undefined ? join(dir, e.path) : realpathSync(join(dir, e.path));
    const st = statSync(file);
    if (!st.isFile())
      throw new SlipwayError(
        "SLW_SOURCE_INVALID",
        `${e.path} is a symlink to a directory (${e.link}): an uploaded tree holds files only`,
        "replace the link with the directory itself, or with links to the files in it",
        { field: e.path },
      );
    const sha256 = await hashFile(file);
    where.set(sha256, file);
    files.push({ path: e.path, mode: st.mode & 0o111 ? 0o755 : 0o644, size: st.size, sha256 });
  }
  const spec = await specFile(dir);
  if (spec) where.set(spec.sha256, join(dir, spec.path));
  return {
    tree: { files: files.sort(byPath) },
    ...(spec ? { spec } : {}),
    open: (sha256) => createReadStream(where.get(sha256)!),
    source: "working tree",
  };
}

/** The spec the loader would find in `dir` (the first of its names there), as a tree file. */
async function specFile(dir: string): Promise<TreeFile | undefined> {
  for (const path of SPEC_FILE_NAMES) {
    const st = statSync(join(dir, path), { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    return { path, mode: 0o644, size: st.size, sha256: await hashFile(join(dir, path)) };
  }
  return undefined;
}

async function hashFile(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}
