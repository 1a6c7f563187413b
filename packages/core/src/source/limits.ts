/** How big an uploaded source tree may be. A stack's source, not its dependencies or data. */
export interface TreeLimits {
  /** @default 20000 */
  maxFiles: number;
  /** @default 128 MiB */
  maxFileBytes: number;
  /** @default 1 GiB */
  maxTotalBytes: number;
}

export const TREE_LIMITS: TreeLimits = {
  maxFiles: 20_000,
  maxFileBytes: 128 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
};
