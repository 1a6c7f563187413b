import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadStack } from "./load";
import { starterFiles, starterSpec } from "./starter";

const root = await mkdtemp(join(tmpdir(), "slipway-starter-"));
afterAll(() => rm(root, { recursive: true, force: true }));

/** Writes the starter where `slipway init` would, in a project that has not installed @slipway/spec. */
async function initProject(dir: string, name: string, pkg?: string) {
  const path = join(root, dir);
  await mkdir(path);
  if (pkg) await writeFile(join(path, "package.json"), pkg);
  await writeFile(join(path, "slipway.config.ts"), starterSpec(name));
  return loadStack(path);
}

describe("starterSpec", () => {
  it.each([
    ["an ES module package", '{ "type": "module" }'],
    ["a CommonJS package", '{ "type": "commonjs" }'],
    ["a directory with no package.json", undefined],
  ])("loads and validates in %s", async (_, pkg) => {
    const result = await initProject(`p-${pkg ? JSON.parse(pkg).type : "none"}`, "shop", pkg);
    if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
    const { stack } = result;
    expect(stack.name).toBe("shop");
    expect(Object.entries(stack.services).map(([n, s]) => `${n}:${s.type}`)).toEqual([
      "web:web",
      "cleanup:cron",
    ]);
    expect(Object.keys(stack.environments)).toEqual(["local", "prod"]);
    expect(stack.routes).toEqual([{ path: "/", service: "web" }]);
  });

  it("explains why each part is there", () => {
    const text = starterSpec("shop");
    expect(text).toContain('import { defineStack } from "@slipway/spec";');
    expect(text).toContain("export default defineStack({");
    for (const why of ["never on boot", "without a shell", "noeviction", "/healthz"])
      expect(text).toContain(why);
  });

  it("promises nothing Slipway does not do, and names only files it writes", () => {
    const files = starterFiles("shop");
    const text = files["slipway.config.ts"]!;
    for (const unbuilt of ["promote", "backup", "point-in-time", "canary"])
      expect(text).not.toContain(unbuilt);
    // Every file an uncommented command runs is written by init.
    const commands = [...text.matchAll(/^\s*command: \[(.*)\],$/gm)].map((m) => JSON.parse(`[${m[1]}]`));
    expect(commands).toHaveLength(2);
    for (const argv of commands) expect(Object.keys(files)).toContain(argv[1]);
  });

  it("writes the name as an inert string literal, so a hostile name is a validation error, not code", async () => {
    const result = await initProject("hostile", '"); process.exit(1); ("', '{ "type": "module" }');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject({ code: "SLW_SPEC_INVALID", path: ["name"] });
  });
});
