import { resolve } from "node:path";

export type RunCommand = (argv: string[], opts: { cwd: string }) => Promise<{ code: number; output: string }>;

/** Reads a branch's head from a git repository (a path or any URL git can reach) and fetches it. */
export interface GitBranches {
  /** The commit the branch points at, or an error saying why it could not be read. */
  head(repo: string, branch: string): Promise<{ sha: string } | { error: string }>;
  /**
   * Makes the commit available to builds of `projectDir` (which build from its repository):
   * fetched under refs/slipway/auto-deploy/, never touching the user's own branches.
   */
  fetch(repo: string, branch: string, projectDir: string): Promise<{ ok: true } | { error: string }>;
}

export function gitBranches(run: RunCommand): GitBranches {
  return {
    async head(repo, branch) {
      // `--` first: a repository named like an option is still a repository.
      const r = await run(["git", "ls-remote", "--heads", "--", repo, `refs/heads/${branch}`], { cwd: "/" });
      if (r.code !== 0) return { error: `git ls-remote ${repo} failed: ${r.output.trim()}` };
      const line = r.output.split("\n").find((l) => l.endsWith(`\trefs/heads/${branch}`));
      const sha = line?.split("\t")[0];
      return sha && /^[0-9a-f]{40,64}$/.test(sha) ? { sha } : { error: `${repo} has no branch ${branch}` };
    },
    async fetch(repo, branch, projectDir) {
      if (resolve(projectDir) === resolveLocal(repo)) return { ok: true }; // the commit is there already
      const r = await run(
        [
          "git",
          "-C",
          projectDir,
          "fetch",
          "--no-tags",
          "--",
          repo,
          `+refs/heads/${branch}:refs/slipway/auto-deploy/${branch}`,
        ],
        { cwd: projectDir },
      );
      return r.code === 0 ? { ok: true } : { error: `git fetch from ${repo} failed: ${r.output.trim()}` };
    },
  };
}

/** A local path, resolved; a URL (scheme:// or user@host:path) as written. */
const resolveLocal = (repo: string) =>
  /^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^/]+:/i.test(repo) ? repo : resolve(repo);
