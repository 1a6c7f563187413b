import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SpecIssue } from "./issues";
import { loadStack } from "./load";
import type { LoadResult } from "./validate";

const root = await mkdtemp(join(tmpdir(), "slipway-load-"));
afterAll(() => rm(root, { recursive: true, force: true }));

let dirs = 0;
/** A fresh project directory holding the given files. */
async function project(files: Record<string, string>): Promise<string> {
  const dir = join(root, `p${++dirs}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const spec = (name: string) =>
  `{ name: "${name}", services: { api: { type: "web", command: ["node", "s.js"] } } }`;
const ESM = { "package.json": '{ "type": "module" }' };
const CJS = { "package.json": '{ "type": "commonjs" }' };

function issueOf(result: LoadResult): SpecIssue {
  if (result.ok) throw new Error("expected the load to fail");
  expect(result.issues).toHaveLength(1);
  return result.issues[0]!;
}

describe("loadStack", () => {
  it("finds slipway.config.ts in a directory and returns the validated stack", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.ts": `const n: string = "shop";\nexport default ${spec("shop")};`,
    });
    const result = await loadStack(dir);
    expect(result).toMatchObject({ ok: true, file: join(dir, "slipway.config.ts") });
    if (result.ok) expect(result.stack.services.api?.drainSeconds).toBe(30);
  });

  it("prefers .ts over the other extensions in a directory", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.json": JSON.stringify({ name: "from-json", services: {} }),
      "slipway.config.ts": `export default ${spec("from-ts")};`,
    });
    const result = await loadStack(dir);
    expect(result.ok && result.stack.name).toBe("from-ts");
  });

  it("loads .mts, .mjs and .json files given directly, and a `stack` named export", async () => {
    const dir = await project({
      "a.mts": `export const stack = ${spec("mts")};`,
      "b.mjs": `export default ${spec("mjs")};`,
      "c.json": JSON.stringify({ name: "json", services: {} }),
    });
    const names = await Promise.all(["a.mts", "b.mjs", "c.json"].map((f) => loadStack(join(dir, f))));
    expect(names.map((r) => r.ok && r.stack.name)).toEqual(["mts", "mjs", "json"]);
  });

  it("loads a .ts spec in a CommonJS package", async () => {
    const dir = await project({ ...CJS, "slipway.config.ts": `export default ${spec("cjs")};` });
    const result = await loadStack(dir);
    expect(result.ok && result.stack.name).toBe("cjs");
  });

  it.each([
    ["ESM", ESM],
    ["CommonJS", CJS],
  ])("returns fresh content when the spec or a file it imports changes (%s)", async (_, pkg) => {
    const dir = await project({ ...pkg });
    const names: string[] = [];
    for (const version of [1, 2, 3]) {
      await writeFile(join(dir, "name.ts"), `export const suffix: string = "v${version}";`);
      await writeFile(
        join(dir, "slipway.config.ts"),
        `import { suffix } from "./name";\nexport default { ...${spec("shop")}, name: "shop-" + suffix, build: { command: ["b${version}"] } };`,
      );
      const result = await loadStack(dir);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      names.push(`${result.stack.name} ${result.stack.build.command?.[0]}`);
    }
    expect(names).toEqual(["shop-v1 b1", "shop-v2 b2", "shop-v3 b3"]);
  });

  it("reports a directory without a spec as SLW_SPEC_NOT_FOUND, naming what it looked for", async () => {
    const dir = await project({});
    const issue = issueOf(await loadStack(dir));
    expect(issue).toMatchObject({ code: "SLW_SPEC_NOT_FOUND", file: dir, path: [] });
    expect(issue.message).toContain("slipway.config.ts, slipway.config.mts");
    expect(issue.hint).toContain("slipway init");
  });

  it("reports a missing file as SLW_SPEC_NOT_FOUND", async () => {
    const result = await loadStack(join(root, "nope", "slipway.config.ts"));
    expect(issueOf(result)).toMatchObject({ code: "SLW_SPEC_NOT_FOUND", message: "no such file" });
  });

  it("reports a syntax error as SLW_SPEC_LOAD_FAILED with the position", async () => {
    const dir = await project({ ...ESM, "slipway.config.ts": "export default {{" });
    const issue = issueOf(await loadStack(dir));
    expect(issue.code).toBe("SLW_SPEC_LOAD_FAILED");
    expect(issue.message).toContain("slipway.config.ts:1:");
    expect(issue.hint).toContain("syntax");
  });

  it("reports a JSON syntax error with line and column", async () => {
    const dir = await project({ "slipway.config.json": '{\n  "name": "x",\n  oops\n}' });
    const issue = issueOf(await loadStack(dir));
    expect(issue.code).toBe("SLW_SPEC_LOAD_FAILED");
    expect(issue.message).toMatch(/line 3, column 3/);
  });

  it("reports a spec that throws as SLW_SPEC_LOAD_FAILED with its message", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.ts": 'throw new Error("DATABASE_HOST is not set");',
    });
    const issue = issueOf(await loadStack(dir));
    expect(issue.code).toBe("SLW_SPEC_LOAD_FAILED");
    expect(issue.message).toContain("DATABASE_HOST is not set");
  });

  it("reports a missing import with an install hint and no tsx namespace noise", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.ts": 'import x from "no-such-package-xyz";\nexport default x;',
    });
    const issue = issueOf(await loadStack(dir));
    expect(issue.hint).toContain("npm i -D no-such-package-xyz");
    expect(issue.message).not.toContain("namespace=");
  });

  it("reports a file that exports no stack as SLW_SPEC_INVALID", async () => {
    const dir = await project({ ...ESM, "slipway.config.ts": "export const other = 1;" });
    const issue = issueOf(await loadStack(dir));
    expect(issue).toMatchObject({
      code: "SLW_SPEC_INVALID",
      hint: "end the file with `export default defineStack({ ... })`",
    });
  });

  it("cuts off a spec that never finishes, naming the file and the limit, without stalling the caller", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.ts": `while (true) {}\nexport default ${spec("loop")};`,
    });
    let timerRan = false;
    setTimeout(() => (timerRan = true), 50);
    const problem = issueOf(await loadStack(dir, { timeoutMs: 1_000 }));
    expect(timerRan).toBe(true); // our event loop kept turning while the spec looped
    expect(problem).toMatchObject({
      code: "SLW_SPEC_LOAD_FAILED",
      file: expect.stringContaining("slipway.config.ts"),
    });
    expect(problem.message).toContain("within 1 s");

    const waits = await project({
      ...ESM,
      "slipway.config.ts": "await new Promise(() => {});\nexport default {};",
    });
    expect(issueOf(await loadStack(waits, { timeoutMs: 1_000 })).message).toContain("within 1 s");

    // The next load gets a fresh evaluator.
    const fine = await project({ ...ESM, "slipway.config.ts": `export default ${spec("after")};` });
    expect((await loadStack(fine)).ok).toBe(true);
  });

  it("reports a spec that exits the evaluator", async () => {
    const dir = await project({ ...ESM, "slipway.config.ts": "process.exit(3);\nexport default {};" });
    expect(issueOf(await loadStack(dir))).toMatchObject({
      code: "SLW_SPEC_LOAD_FAILED",
      message: expect.stringContaining("exit code 3"),
    });
  });

  it("refuses a file type it cannot evaluate", async () => {
    const dir = await project({ "stack.yaml": "name: x" });
    expect(issueOf(await loadStack(join(dir, "stack.yaml"))).code).toBe("SLW_SPEC_LOAD_FAILED");
  });

  it("returns validation issues against the file, with the absolute path on the result", async () => {
    const dir = await project({
      ...ESM,
      "slipway.config.ts": `export default { ...${spec("shop")}, name: "My Shop" };`,
    });
    const result = await loadStack(dir);
    const issue = issueOf(result);
    expect(result.file).toBe(join(dir, "slipway.config.ts"));
    expect(issue).toMatchObject({
      code: "SLW_SPEC_INVALID",
      file: join(dir, "slipway.config.ts"),
      path: ["name"],
    });
  });
});
