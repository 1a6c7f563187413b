import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { leftOutOfBuild, SlipwayError, SPEC_FILE_NAMES, type TreeFile } from "@slipway/core";
import { byPath, type PackedTree } from "./pack";

interface GitEntry {
  mode: string;
  type: string;
  object: string;
  path: string;
}

/**
 * Packs a commit of the CLI's repository (the stack's directory in it), as `git archive`
 * would give it to a build: regular files with their executable bit; a symlink to a file of
 * the tree as that file (one that leads nowhere is left out, one that leads out of the tree or
 * to a directory is refused); submodules left out, as git archive leaves them.
 */
export async function packRef(dir: string, ref: string): Promise<PackedTree> {
  const sha = await git(dir, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`]).catch(() => {
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--ref ${JSON.stringify(ref)} is not a commit in ${dir}`,
      "pass a branch, tag or commit that `git rev-parse` knows",
    );
  });
  const prefix = (await git(dir, ["rev-parse", "--show-prefix"])).toString().trim();
  // From the top: in a subfolder, ls-tree would limit its listing to paths under it again.
  const top = (await git(dir, ["rev-parse", "--show-toplevel"])).toString().trim();
  const listing = await git(top, ["ls-tree", "-r", "-z", `${sha.toString().trim()}:${prefix}`]);
  const listed = parseLsTree(listing.toString("utf8"));
  const entries = listed.filter((e) => !leftOut(e.path));
  // The spec the loader would find at that commit: the first of its names there.
  const specEntry = SPEC_FILE_NAMES.map((name) =>
    listed.find((e) => e.path === name && e.type === "blob" && e.mode !== "120000"),
  ).find((e) => e !== undefined);
  const contents = await catBlobs(dir, [
    ...new Set(
      [...entries, ...(specEntry ? [specEntry] : [])].filter((e) => e.type === "blob").map((e) => e.object),
    ),
  ]);
  const byGitPath = new Map(entries.map((e) => [e.path, e]));
  const bodies = new Map<string, Buffer>();
  const files: TreeFile[] = [];
  for (const e of entries) {
    if (e.type !== "blob") continue; // a submodule
    const real = e.mode === "120000" ? followLink(e, contents, byGitPath) : e;
    if (!real) continue;
    const body = contents.get(real.object)!;
    const sha256 = createHash("sha256").update(body).digest("hex");
    bodies.set(sha256, body);
    files.push({ path: e.path, mode: real.mode === "100755" ? 0o755 : 0o644, size: body.length, sha256 });
  }
  let spec: TreeFile | undefined;
  if (specEntry) {
    const body = contents.get(specEntry.object)!;
    const sha256 = createHash("sha256").update(body).digest("hex");
    bodies.set(sha256, body);
    spec = { path: specEntry.path, mode: 0o644, size: body.length, sha256 };
  }
  return {
    tree: { files: files.sort(byPath) },
    ...(spec ? { spec } : {}),
    open: (sha256) => Readable.from([bodies.get(sha256)!]),
    source: ref,
  };
}

/** A path any segment of which builds leave out. */
function leftOut(path: string): boolean {
  const parts = path.split("/");
  return parts.some((name, i) => leftOutOfBuild(parts.slice(0, i).join("/"), name));
}

/** The file a symlink of the tree points to; undefined when it leads nowhere. */
function followLink(
  link: GitEntry,
  contents: Map<string, Buffer>,
  tree: Map<string, GitEntry>,
): GitEntry | undefined {
  const target = contents.get(link.object)!.toString("utf8");
  const at = posix.normalize(posix.join(posix.dirname(link.path), target));
  const refuse = (why: string) =>
    new SlipwayError(
      "SLW_SOURCE_INVALID",
      `${link.path} is a symlink to ${target}, ${why}: an uploaded tree holds the stack's files only`,
      "copy the file in, or make the link point to a file inside the stack's directory",
      { field: link.path },
    );
  if (posix.isAbsolute(target) || at === ".." || at.startsWith("../"))
    throw refuse("outside the stack's directory");
  const found = tree.get(at);
  if (found?.mode === "120000") throw refuse("another symlink");
  if (found) return found;
  if ([...tree.keys()].some((p) => p.startsWith(`${at}/`))) throw refuse("a directory");
  return undefined;
}

function parseLsTree(out: string): GitEntry[] {
  return out
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf("\t");
      const [mode, type, object] = line.slice(0, tab).split(" ") as [string, string, string];
      return { mode, type, object, path: line.slice(tab + 1) };
    });
}

/** The contents of these git objects, read in one `git cat-file --batch`. */
async function catBlobs(dir: string, objects: string[]): Promise<Map<string, Buffer>> {
  const out = await git(dir, ["cat-file", "--batch"], objects.map((o) => `${o}\n`).join(""));
  const found = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const [object, , size] = out.subarray(at, eol).toString().split(" ") as [string, string, string];
    const start = eol + 1;
    found.set(object, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1; // the content is followed by a newline
  }
  return found;
}

/** Runs git (argv, no shell) in `dir`, resolving with its stdout; rejects on a non-zero exit. */
function git(dir: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // stdin only for a command that reads it: writing to one that exited first is an EPIPE.
    const child = spawn("git", ["-C", dir, ...args], {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => (err += b));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`git ${args[0]} exited ${code}: ${err.trim()}`)),
    );
    // A git that dies before reading all of it fails by its exit code, above.
    child.stdin?.on("error", () => {}).end(input);
  });
}
