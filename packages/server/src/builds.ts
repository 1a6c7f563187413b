import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { SlipwayError } from "@slipway/core";
import { run } from "./run";

export interface BuildRequest {
  /** The stack's directory (where slipway.config.ts is). */
  sourceDir: string;
  /** A git ref to build instead of the working tree. */
  ref?: string;
  buildsDir: string;
  depsDir: string;
  /** argv run in the build directory; default: `npm ci` when there is a lockfile. */
  command?: string[];
  progress: (message: string) => void;
}

export interface BuildResult {
  id: string;
  dir: string;
  gitSha: string | null;
  source: string;
  cached: boolean;
  output: string;
}

const READY = ".slipway-build";
const SKIP = new Set(["node_modules", ".slipway", ".git"]);
/** The spec is configuration, not code: changing an env var makes a new release, not a new build. */
const SPEC_FILE = /^slipway\.config\.(ts|mts|js|mjs|json)$/;

/**
 * Makes the content-addressed build of the stack: its id is the hash of the source tree,
 * so the same tree is built once and a build directory is never changed after it is ready.
 * Dependencies are installed once per lockfile (shared by builds with the same one), in the
 * build's own directory — never in the live one.
 */
export async function makeBuild(req: BuildRequest): Promise<BuildResult> {
  const { root, gitSha, cleanup } = await sourceTree(req);
  try {
    const files = listFiles(root);
    const id = treeHash(root, files);
    const dir = join(req.buildsDir, id);
    const source = req.ref ?? "working tree";
    if (existsSync(join(dir, READY))) return { id, dir, gitSha, source, cached: true, output: "" };

    req.progress(`build ${id.slice(0, 12)}: copying ${files.length} files`);
    const tmp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
    for (const f of files) {
      mkdirSync(dirname(join(tmp, f)), { recursive: true });
      copyFileSync(join(root, f), join(tmp, f));
    }
    const output = await installDependencies(tmp, req).catch((e) => {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    });
    writeFileSync(join(tmp, READY), JSON.stringify({ id, source, gitSha }));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { id, dir, gitSha, source, cached: false, output };
  } finally {
    cleanup();
  }
}

async function installDependencies(buildDir: string, req: BuildRequest): Promise<string> {
  if (req.command) {
    req.progress(`build: running ${req.command.join(" ")}`);
    const r = await run(req.command, { cwd: buildDir });
    if (r.code !== 0) throw buildFailed(`${req.command.join(" ")} exited with ${r.code}`, r.output);
    return r.output;
  }
  const lock = join(buildDir, "package-lock.json");
  if (!existsSync(lock)) return "";
  const key = createHash("sha256")
    .update(readFileSync(lock))
    .update(readFileSync(join(buildDir, "package.json")))
    .digest("hex")
    .slice(0, 24);
  const deps = join(req.depsDir, key);
  let output = "";
  if (!existsSync(join(deps, "node_modules"))) {
    req.progress("build: installing dependencies (npm ci), once per lockfile");
    const tmp = `${deps}.tmp-${randomBytes(4).toString("hex")}`;
    mkdirSync(tmp, { recursive: true });
    copyFileSync(lock, join(tmp, "package-lock.json"));
    copyFileSync(join(buildDir, "package.json"), join(tmp, "package.json"));
    const r = await run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: tmp,
    });
    if (r.code !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw buildFailed(`npm ci exited with ${r.code}`, r.output);
    }
    output = r.output;
    rmSync(deps, { recursive: true, force: true });
    renameSync(tmp, deps);
  } else req.progress("build: dependencies already installed for this lockfile");
  symlinkSync(join(deps, "node_modules"), join(buildDir, "node_modules"), "dir");
  return output;
}

async function sourceTree(
  req: BuildRequest,
): Promise<{ root: string; gitSha: string | null; cleanup: () => void }> {
  if (!req.ref) return { root: req.sourceDir, gitSha: await gitHead(req.sourceDir), cleanup: () => {} };
  const sha = await git(req.sourceDir, ["rev-parse", "--verify", `${req.ref}^{commit}`]);
  if (!sha)
    throw new SlipwayError(
      "SLW_BUILD_FAILED",
      `--ref ${JSON.stringify(req.ref)} is not a commit in ${req.sourceDir}`,
      "pass a branch, tag or commit that `git rev-parse` knows",
    );
  const prefix = (await git(req.sourceDir, ["rev-parse", "--show-prefix"])) ?? "";
  const tmp = join(req.buildsDir, `.src-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp, { recursive: true });
  const tar = join(tmp, "..", `${tmp.split("/").pop()}.tar`);
  const r = await run(
    ["git", "-C", req.sourceDir, "archive", "--format=tar", "-o", tar, `${sha}:${prefix}`],
    {
      cwd: req.sourceDir,
    },
  );
  const x = r.code === 0 ? await run(["tar", "-xf", tar, "-C", tmp], { cwd: tmp }) : r;
  rmSync(tar, { force: true });
  if (x.code !== 0) throw buildFailed(`git archive of ${req.ref} failed`, x.output);
  return { root: tmp, gitSha: sha, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Files of the tree, sorted, relative, skipping dependencies and Slipway's own state. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(e.name) || (dir === root && SPEC_FILE.test(e.name))) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || (e.isSymbolicLink() && lstatSync(p).isFile())) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

export function treeHash(root: string, files: string[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f).update("\0");
    h.update(
      createHash("sha256")
        .update(readFileSync(join(root, f)))
        .digest(),
    ).update("\0");
  }
  return h.digest("hex").slice(0, 32);
}

async function gitHead(dir: string): Promise<string | null> {
  return git(dir, ["rev-parse", "HEAD"]);
}

async function git(dir: string, args: string[]): Promise<string | null> {
  const r = await run(["git", "-C", dir, ...args], { cwd: dir });
  return r.code === 0 ? r.output.trim() : null;
}

function buildFailed(message: string, output: string): SlipwayError {
  return new SlipwayError(
    "SLW_BUILD_FAILED",
    message,
    "fix the build and deploy again; the live release is untouched",
    {
      output: output.slice(-4000),
    },
  );
}
