import { leftOutOfBuild } from "./build-rules";

/** Longest path (in UTF-16 units) and path segment a tree may hold: what Linux allows, about. */
const MAX_PATH = 1024;
const MAX_SEGMENT = 255;

/**
 * Why `path` cannot name a file of an uploaded tree, or undefined when it can. A tree path
 * is relative, `/`-separated, and stays inside the tree by construction: no absolute path,
 * no `.` or `..` segment, no empty segment, no control character (NUL, newline…), no
 * backslash (a separator elsewhere). It may not name what a build leaves out (node_modules,
 * .git, .slipway, .env files, the spec at the top).
 */
export function treePathProblem(path: string): string | undefined {
  if (path.length === 0) return "is empty";
  if (path.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (path.startsWith("/")) return "is absolute; tree paths are relative to the stack's directory";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return "holds a control character (NUL, newline, tab…)";
  if (path.includes("\\")) return "holds a backslash; use / between directories";
  const segments = path.split("/");
  for (const [i, s] of segments.entries()) {
    if (s === "") return "has an empty segment (// or a trailing /)";
    if (s === "." || s === "..")
      return `has a "${s}" segment; a tree path may not leave or re-enter a directory`;
    if (s.length > MAX_SEGMENT) return `has a segment longer than ${MAX_SEGMENT} characters`;
    if (leftOutOfBuild(segments.slice(0, i).join("/"), s))
      return `names ${s}, which builds leave out (dependencies, Slipway's and git's state, .env files, the spec)`;
  }
  return undefined;
}
