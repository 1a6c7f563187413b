import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findByNonce, isAlive, Supervisor } from "../src/process/index";
import type { ProcessSpec } from "../src/process/spawn";

// A process that forks a child (same environment, same group) and exits on SIGUSR2.
const SCRIPT = `
  const { spawn } = require("node:child_process");
  spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  process.on("SIGUSR2", () => process.exit(0));
  process.on("SIGTERM", () => process.exit(0));
  setInterval(() => {}, 1000);`;

let dir: string;
const spec = (id: string, nonce: string): ProcessSpec => ({
  id,
  argv: [process.execPath, join(dir, "svc.js")],
  cwd: dir,
  env: { PATH: "/usr/bin:/bin", SLIPWAY_PROCESS_NONCE: nonce },
  logFile: join(dir, "logs", `${id}.log`),
  drainSeconds: 2,
  health: { kind: "liveness" },
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-nonce-"));
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "svc.js"), SCRIPT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("finding a process by its nonce (a crash between spawn and recording its pid)", () => {
  it("finds the group leader that carries the nonce, never its children or strangers", async () => {
    const supervisor = new Supervisor({ pollMs: 50 });
    const handle = await supervisor.start(spec("a", "nonce-aaaa"));
    await supervisor.waitHealthy("a", 5_000);
    expect(findByNonce("nonce-aaaa")).toEqual({ pid: handle.pid, startTime: handle.startTime });
    expect(findByNonce("nonce-aaa")).toBeUndefined();
    expect(findByNonce("nonce-bbbb")).toBeUndefined();
    // Another supervisor (the next control plane) adopts what the nonce found.
    const next = new Supervisor({ pollMs: 50 });
    supervisor.release();
    expect(next.adopt(spec("a", "nonce-aaaa"), { id: "a", ...findByNonce("nonce-aaaa")! })).toBe(true);
    await next.stop("a");
    expect(isAlive(handle.pid, handle.startTime)).toBe(false);
    expect(findByNonce("nonce-aaaa")).toBeUndefined();
  });
});

describe("a retired process", () => {
  it("is not restarted when it exits on its own, and its supervision ends", async () => {
    const supervisor = new Supervisor({ pollMs: 50 });
    const restarts: string[] = [];
    supervisor.on("restart", (e) => restarts.push(e.id));
    const handle = await supervisor.start(spec("b", "nonce-bbbb"));
    await supervisor.waitHealthy("b", 5_000);
    supervisor.retire("b");
    process.kill(handle.pid, "SIGUSR2");
    await new Promise<void>((resolve) => supervisor.once("exit", () => resolve()));
    expect(supervisor.handle("b")).toBeUndefined();
    expect(restarts).toEqual([]);
    expect(findByNonce("nonce-bbbb")).toBeUndefined();
  });

  it("an unretired one that exits is restarted (the contrast)", async () => {
    const supervisor = new Supervisor({
      pollMs: 50,
      backoff: { initialMs: 50, maxMs: 100, factor: 2, resetAfterMs: 60_000, crashloopAfter: 3 },
    });
    const restarted = new Promise<string>((resolve) => supervisor.once("restart", (e) => resolve(e.id)));
    const handle = await supervisor.start(spec("c", "nonce-cccc"));
    await supervisor.waitHealthy("c", 5_000);
    process.kill(handle.pid, "SIGUSR2");
    expect(await restarted).toBe("c");
    await new Promise((r) => setTimeout(r, 300));
    await supervisor.stop("c");
  });
});
