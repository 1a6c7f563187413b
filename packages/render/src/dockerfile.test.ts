import { describe, expect, it } from "vitest";
import { NODE_IMAGE, renderDockerfile } from "./dockerfile";

const file = (files: { path: string; content: string }[], path: string) =>
  files.find((f) => f.path === path)!.content;

/** The lines of the last stage: what the image runs with. */
const finalStage = (dockerfile: string) => dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

describe("renderDockerfile", () => {
  it("installs from the lockfile in a deps stage and runs as a non-root user on a pinned Node", () => {
    const df = file(renderDockerfile({ stack: "shop" }), "Dockerfile");
    expect(NODE_IMAGE).toMatch(/^node:\d+\.\d+\.\d+-/);
    expect(df).toContain(`FROM ${NODE_IMAGE} AS deps\nWORKDIR /app\nCOPY package.json package-lock.json ./`);
    expect(df).toContain('RUN ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"]');
    const last = finalStage(df);
    expect(last).toContain("COPY --from=deps /app/node_modules /app/node_modules");
    expect(last).not.toContain("npm");
    expect(last.trim().split("\n").at(-1)).toBe("USER 1000:1000");
  });

  it("runs the spec's build command as an argv, never through a shell", () => {
    const hostile = ["node", "build.mjs", "a b", 'q"uote', "$(rm -rf /)", "new\nline"];
    const df = file(renderDockerfile({ stack: "shop", buildCommand: hostile }), "Dockerfile");
    const run = df.split("\n").find((l) => l.startsWith('RUN ["node"'))!;
    expect(JSON.parse(run.slice("RUN ".length))).toEqual(hostile);
    expect(finalStage(df)).toContain("COPY --from=build /app /app");
  });

  it("installs nothing without a lockfile, as the local builder does", () => {
    const df = file(renderDockerfile({ stack: "shop", lockfile: false }), "Dockerfile");
    expect(df.match(/^FROM /gm)).toHaveLength(1);
    expect(df).not.toContain("npm ci");
  });

  it("keeps Slipway's state, git, env files and node_modules out of the build context", () => {
    const ignore = file(renderDockerfile({ stack: "shop" }), "Dockerfile.dockerignore").split("\n");
    for (const entry of [".slipway", ".git", "node_modules", ".env", ".env.*"])
      expect(ignore).toContain(entry);
  });
});
