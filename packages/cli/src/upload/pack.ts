import type { Readable } from "node:stream";
import type { TreeFile, TreeManifest } from "@slipway/core";

/** A source tree packed for upload: its manifest, and each blob's bytes on demand. */
export interface PackedTree {
  tree: TreeManifest;
  /**
   * The spec at the top of the stack's directory, sent beside the tree (builds leave it out):
   * the server makes the release from it. The files it imports are in the tree.
   */
  spec?: TreeFile;
  /** The content of the blob named by this SHA-256, read when it is sent. */
  open(sha256: string): Readable;
  /** "working tree" or the ref packed. */
  source: string;
}

/** Sorted as builds sort their file lists (UTF-16 order), which is the order tree hashes use. */
export const byPath = (a: { path: string }, b: { path: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
