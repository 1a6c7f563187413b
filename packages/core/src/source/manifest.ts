import { createHash } from "node:crypto";
import { SPEC_FILE_NAMES } from "./build-rules";
import { TREE_LIMITS, type TreeLimits } from "./limits";
import { treePathProblem } from "./tree-path";

/**
 * One file of a source tree, by content. Only regular files: an uploaded tree holds no
 * symlink (the CLI sends the file an in-tree link points to as a file of its own), so the
 * server never creates a link that could lead anywhere on its disk.
 */
export interface TreeFile {
  path: string;
  /** 0o644, or 0o755 for an executable. */
  mode: number;
  size: number;
  /** Lowercase hex SHA-256 of the content: the blob's name. */
  sha256: string;
}

/** A source tree: its files sorted by path (as builds list them). */
export interface TreeManifest {
  files: TreeFile[];
}

export const FILE_MODES: readonly number[] = [0o644, 0o755];
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export type TreeCheck = { ok: true; tree: TreeManifest } | { ok: false; field: string; problem: string };

/**
 * Checks a manifest before anything is read or written for it: every path (see
 * treePathProblem), sorted and unique, no file also used as a directory, modes, hashes, and
 * the limits on file count, file size and total size.
 */
export function checkTree(tree: TreeManifest, limits: TreeLimits = TREE_LIMITS): TreeCheck {
  const refuse = (field: string, problem: string): TreeCheck => ({ ok: false, field, problem });
  const { files } = tree;
  if (files.length === 0) return refuse("tree.files", "is empty: there is nothing to build");
  if (files.length > limits.maxFiles)
    return refuse("tree.files", `has ${files.length} files; at most ${limits.maxFiles} may be uploaded`);
  const paths = new Set(files.map((f) => f.path));
  let total = 0;
  for (const [i, f] of files.entries()) {
    const field = `tree.files[${i}]`;
    const bad = treePathProblem(f.path);
    if (bad) return refuse(`${field}.path`, `${JSON.stringify(f.path)} ${bad}`);
    const before = files[i - 1]?.path;
    if (before !== undefined && !(before < f.path))
      return refuse(
        `${field}.path`,
        `${JSON.stringify(f.path)} is not after ${JSON.stringify(before)}: paths must be sorted and unique`,
      );
    const fileAbove = ancestors(f.path).find((dir) => paths.has(dir));
    if (fileAbove !== undefined)
      return refuse(
        `${field}.path`,
        `${JSON.stringify(f.path)} is inside ${JSON.stringify(fileAbove)}, which is a file`,
      );
    const wrong = fileProblem(f, field, limits);
    if (wrong) return wrong;
    total += f.size;
  }
  if (total > limits.maxTotalBytes)
    return refuse("tree.files", `add up to ${total} bytes; at most ${limits.maxTotalBytes} may be uploaded`);
  return { ok: true, tree };
}

/** What is wrong with a file's mode, hash or size, if anything. */
function fileProblem(f: TreeFile, field: string, limits: TreeLimits): TreeCheck | undefined {
  const refuse = (at: string, problem: string): TreeCheck => ({ ok: false, field: at, problem });
  if (!FILE_MODES.includes(f.mode))
    return refuse(`${field}.mode`, `${f.mode} is not 420 (0o644) or 493 (0o755)`);
  if (!SHA256_HEX.test(f.sha256)) return refuse(`${field}.sha256`, "is not 64 lowercase hex digits");
  if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > limits.maxFileBytes)
    return refuse(`${field}.size`, `${f.size} is not a size from 0 to ${limits.maxFileBytes} bytes`);
  return undefined;
}

/**
 * Checks the spec sent beside a tree (`spec` of a deploy): one file at the top of the stack's
 * directory under one of the spec's names. Builds leave it out, so the tree hash (the build
 * id) does not change with it: a spec-only change is a new release of the same build.
 */
export function checkSpecFile(spec: TreeFile, limits: TreeLimits = TREE_LIMITS): TreeCheck | undefined {
  if (!SPEC_FILE_NAMES.includes(spec.path))
    return {
      ok: false,
      field: "spec.path",
      problem: `${JSON.stringify(spec.path)} is not a spec's name (${SPEC_FILE_NAMES.join(", ")})`,
    };
  return fileProblem(spec, "spec", limits);
}

/** The files of a tree and its spec, sorted as trees are: what a stack directory holds. */
export const withSpec = (tree: TreeManifest, spec: TreeFile | undefined): TreeManifest =>
  spec ? { files: [...tree.files, spec].sort((a, b) => (a.path < b.path ? -1 : 1)) } : tree;

/** "a/b/c" → ["a", "a/b"]. */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * The tree's hash, computed the way a build hashes a working tree (path, NUL, SHA-256 of
 * the content, NUL, for each file in order; 32 hex digits): the build of an uploaded tree has
 * this id. A file's mode is not part of it, as it is not of a build's.
 */
export function treeHashOf(tree: TreeManifest): string {
  const h = createHash("sha256");
  for (const f of tree.files) h.update(f.path).update("\0").update(Buffer.from(f.sha256, "hex")).update("\0");
  return h.digest("hex").slice(0, 32);
}

/** The distinct blobs of a tree, in first-use order. */
export const blobsOf = (tree: TreeManifest): string[] => [...new Set(tree.files.map((f) => f.sha256))];
