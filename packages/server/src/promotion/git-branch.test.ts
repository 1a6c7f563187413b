import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { host } from "../wiring";
import { gitBranches } from "./git-branch";

const git = (dir: string, args: string[]) => {
  const r = spawnSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};

describe("gitBranches", () => {
  let root: string;
  let upstream: string;
  let project: string;
  const branches = gitBranches(host.run);
  beforeAll(() => {
    root = mkdtempSync("/tmp/slipway-git-branch-");
    upstream = join(root, "upstream");
    project = join(root, "project");
    for (const d of [upstream, project]) {
      spawnSync("git", ["init", "-q", "-b", "main", d]);
      git(d, ["commit", "-q", "--allow-empty", "-m", "first"]);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reads a branch's head and fetches it under refs/slipway/, leaving the project's branches alone", async () => {
    const sha = git(upstream, ["rev-parse", "HEAD"]);
    expect(await branches.head(upstream, "main")).toEqual({ sha });
    const before = git(project, ["rev-parse", "main"]);
    expect(await branches.fetch(upstream, "main", project)).toEqual({ ok: true });
    expect(git(project, ["rev-parse", "refs/slipway/auto-deploy/main"])).toBe(sha);
    expect(git(project, ["rev-parse", "main"])).toBe(before);
  });

  it("says why when the branch or the repository is not there", async () => {
    expect(await branches.head(upstream, "nope")).toEqual({ error: `${upstream} has no branch nope` });
    expect(await branches.head(join(root, "missing"), "main")).toMatchObject({
      error: /git ls-remote .* failed/,
    });
  });

  it("treats a repository named like an option as a name, never as an option", async () => {
    const pwned = join(root, "pwned");
    const hostile = `--upload-pack=touch ${pwned}`;
    expect(await branches.head(hostile, "main")).toHaveProperty("error");
    expect(await branches.fetch(hostile, "main", project)).toHaveProperty("error");
    expect(existsSync(pwned)).toBe(false);
  });
});
