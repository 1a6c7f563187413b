import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { leftOutOfBuild, SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { run } from "../system/run";
import { assertTraversable, ensureHome, type RunAs } from "../system/service-user";

export interface BuildRequest {
  /** The stack's directory (where slipway.config.ts is). */
  sourceDir: string;
  /** A git ref to build instead of the working tree. */
  ref?: string;
  /** The commit the tree is known to come from (null: none, as for an uploaded tree); default: asked of git. */
  gitSha?: string | null;
  buildsDir: string;
  depsDir: string;
  /** argv run in the build directory; default: `npm ci` when there is a lockfile. */
  command?: string[];
  /**
   * Who runs the build (`npm ci`, the build command, dependencies' lifecycle scripts) when we
   * are root: the app user, never root. Undefined: ourselves.
   */
  runAs?: RunAs | undefined;
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
    copyTree(root, files, tmp);
    const output = await asBuildUser(tmp, req.runAs, () => installDependencies(tmp, req)).catch((e) => {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    });
    writeFileAtomic(join(tmp, READY), JSON.stringify({ id, source, gitSha }), 0o644);
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
    const r = await run(req.command, { cwd: buildDir, env: buildEnv(req.runAs), runAs: req.runAs });
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
    const r = await asBuildUser(tmp, req.runAs, () =>
      run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], {
        cwd: tmp,
        env: buildEnv(req.runAs),
        runAs: req.runAs,
      }),
    );
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
  if (!req.ref) {
    const gitSha = req.gitSha !== undefined ? req.gitSha : await gitHead(req.sourceDir);
    return { root: req.sourceDir, gitSha, cleanup: () => {} };
  }
  const sha = await git(req.sourceDir, ["rev-parse", "--verify", `${req.ref}^{commit}`]);
  if (!sha)
    throw new SlipwayError(
      "SLW_BUILD_FAILED",
      `--ref ${JSON.stringify(req.ref)} is not a commit in ${req.sourceDir}`,
      "pass a branch, tag or commit that `git rev-parse` knows",
    );
  // The stack may live in a subfolder: archive `<sha>:<subfolder>` from the repository's top,
  // since git refuses to archive from a directory the working tree does not track.
  const top = (await git(req.sourceDir, ["rev-parse", "--show-toplevel"])) ?? req.sourceDir;
  const prefix = (await git(req.sourceDir, ["rev-parse", "--show-prefix"])) ?? "";
  const tmp = join(req.buildsDir, `.src-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp, { recursive: true });
  const tar = join(tmp, "..", `${tmp.split("/").pop()}.tar`);
  const r = await run(["git", "-C", top, "archive", "--format=tar", "-o", tar, `${sha}:${prefix}`], {
    cwd: top,
  });
  const x = r.code === 0 ? await run(["tar", "-xf", tar, "-C", tmp], { cwd: tmp }) : r;
  rmSync(tar, { force: true });
  if (x.code !== 0) throw buildFailed(`git archive of ${req.ref} failed`, x.output);
  return { root: tmp, gitSha: sha, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** A file of the tree, or a symlink that stays inside it (kept as a link, to `target`). */
export interface TreeEntry {
  path: string;
  /** For a symlink: its target relative to the link's directory, inside the tree. */
  link?: string;
}

/**
 * Entries of the tree, sorted, relative, skipping dependencies and Slipway's own state. A
 * symlink is kept when it resolves inside the tree; one that leads outside is refused (the
 * build would silently miss it, or copy in a file from elsewhere on the machine); one that
 * leads nowhere (an editor's lock link) is left out.
 */
export function listFiles(root: string): TreeEntry[] {
  const realRoot = realpathSync(root);
  const out: TreeEntry[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (leftOutOfBuild(relative(root, dir), e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: relative(root, p) });
      else if (e.isSymbolicLink()) {
        const link = linkInside(root, realRoot, p);
        if (link !== undefined) out.push({ path: relative(root, p), link });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The link's target, relative to its directory, when it resolves inside the tree. */
function linkInside(root: string, realRoot: string, link: string): string | undefined {
  let target: string;
  try {
    target = realpathSync(link);
  } catch {
    return undefined; // dangling
  }
  if (target !== realRoot && !target.startsWith(realRoot + sep))
    throw new SlipwayError(
      "SLW_BUILD_FAILED",
      `${relative(root, link)} is a symlink to ${readlinkSync(link)}, which is outside the stack's directory ${root}`,
      `builds only take files from the stack's directory: copy the file in, or make the link point inside it`,
      { file: relative(root, link), target: readlinkSync(link) },
    );
  const inTree = join(realRoot, relative(realRoot, target));
  return relative(dirname(join(realRoot, relative(root, link))), inTree) || ".";
}

function copyTree(root: string, entries: TreeEntry[], to: string): void {
  for (const e of entries) {
    mkdirSync(dirname(join(to, e.path)), { recursive: true });
    if (e.link !== undefined) symlinkSync(e.link, join(to, e.path));
    else copyFileSync(join(root, e.path), join(to, e.path));
  }
}

/** The id a deploy of the working tree in `dir` would build now: `makeBuild`'s content hash. */
export function workingTreeBuildId(dir: string): string {
  return treeHash(dir, listFiles(dir));
}

export function treeHash(root: string, entries: TreeEntry[]): string {
  const h = createHash("sha256");
  for (const e of entries) {
    h.update(e.path).update("\0");
    if (e.link !== undefined) h.update("link:").update(e.link).update("\0");
    else
      h.update(
        createHash("sha256")
          .update(readFileSync(join(root, e.path)))
          .digest(),
      ).update("\0");
  }
  return h.digest("hex").slice(0, 32);
}

/**
 * What a build runs with: no variable of the control plane (its database URL, its token), a
 * PATH with this Node and the system's tools (not Slipway's node_modules/.bin), and a HOME that
 * belongs to whoever builds, where npm keeps its cache.
 */
export function buildEnv(runAs: RunAs | undefined): Record<string, string> {
  const home = runAs ? ensureHome(runAs) : (process.env.HOME ?? "/tmp");
  return {
    PATH: [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: home,
    LANG: "C.UTF-8",
    npm_config_cache: join(home, ".npm"),
    npm_config_update_notifier: "false",
  };
}

/**
 * Runs `work` with `dir` handed to the build user, then takes it back: owned by us again and
 * writable by nobody else (setuid/setgid bits dropped), so a finished build cannot be changed by
 * the services that run it, nor by anything the build left running. chown/chmod -R never follow
 * symlinks while walking.
 */
async function asBuildUser<T>(dir: string, runAs: RunAs | undefined, work: () => Promise<T>): Promise<T> {
  if (!runAs) return work();
  assertTraversable(dir, runAs);
  await mustRun(["chown", "-R", "-P", `${runAs.uid}:${runAs.gid}`, dir]);
  try {
    return await work();
  } finally {
    await mustRun(["chown", "-R", "-P", `${process.getuid!()}:${process.getgid!()}`, dir]);
    await mustRun(["chmod", "-R", "go-w,ug-s", dir]);
  }
}

async function mustRun(argv: string[]): Promise<void> {
  // The system's chown and chmod, whatever PATH we were started with.
  const r = await run(argv, { cwd: "/", env: { PATH: "/usr/bin:/bin" } });
  if (r.code !== 0) throw buildFailed(`${argv.join(" ")} exited with ${r.code}`, r.output);
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
