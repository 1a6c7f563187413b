import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "slipway-stray-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a small program in its own Node process (a stray error there must not end it early). */
function runWith(body: string) {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(
    file,
    `import pino from ${JSON.stringify(createRequire(import.meta.url).resolve("pino"))};
import { logStrayErrors } from ${JSON.stringify(new URL("../src/stray-errors.ts", import.meta.url).pathname)};
const log = pino(pino.destination({ dest: 1, sync: true }));
${body}
setTimeout(() => { console.log("still running"); process.exit(0); }, 200);
`,
  );
  return spawnSync(process.execPath, ["--import", "tsx", file], {
    cwd: new URL("..", import.meta.url).pathname,
    encoding: "utf8",
  });
}

describe("stray errors in the control plane process", () => {
  it("an unhandled rejection is logged with its stack and the process keeps running", () => {
    const r = runWith(`logStrayErrors(log);\nvoid Promise.reject(new Error("no such service"));`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("unhandled promise rejection");
    expect(r.stdout).toMatch(/"stack":"Error: no such service\\n\s+at /);
    expect(r.stdout).toContain("no such service");
    expect(r.stdout).toContain("still running");
  });

  it("an uncaught exception is logged and the process keeps running", () => {
    const r = runWith(`logStrayErrors(log);\nsetImmediate(() => { throw new Error("socket hang up"); });`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("socket hang up");
    expect(r.stdout).toContain("still running");
  });

  it("without it, the same rejection ends the process (what the handler is for)", () => {
    const r = runWith(`void log;\nvoid Promise.reject(new Error("no such service"));`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no such service");
    expect(r.stdout).not.toContain("still running");
  });
});
