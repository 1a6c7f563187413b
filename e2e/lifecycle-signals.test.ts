import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "@slipway/driver-local";
import { afterAll, describe, expect, it } from "vitest";
import {
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  slipwayForeground,
  upDetached,
} from "./harness";

/**
 * What the README promises about signals: Ctrl-C on a foreground `slipway up` stops the whole
 * stack, like `slipway down`; SIGTERM to the control plane stops only the control plane, the
 * stack keeps serving, and the next `up` adopts it as it is.
 */
describe("signals to the control plane", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await finishProject(dir);
  });

  it("Ctrl-C on a foreground `slipway up` stops the whole stack and exits 0", async () => {
    const dir = makeProject("ctrlc");
    dirs.push(dir);
    const up = slipwayForeground(["up", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
    const ready = await eventually(async () => {
      if (up.stdout().trim().endsWith("}"))
        return JSON.parse(up.stdout()) as { environment: { url: string } };
      return undefined;
    }, 180_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${up.stderr()}`);
    });
    const edge = ready.environment.url;
    expect((await getJson<{ release: string }>(`${edge}/api/version`)).release).toBe("v1");
    const stack = processesUnder(dir);
    for (const program of ["postgres", "redis-server", "haproxy", "api.mjs", "worker.mjs"])
      expect(
        stack.some((p) => p.cmd.includes(program)),
        program,
      ).toBe(true);

    up.signal("SIGINT"); // what a terminal sends to its foreground job on Ctrl-C
    expect(await up.exited, up.stderr()).toBe(0);
    expect(processesUnder(dir)).toEqual([]);
    await expect(fetch(`${edge}/api/version`)).rejects.toThrow();
  });

  it("SIGTERM stops only the control plane; the stack keeps serving and the next `up` adopts it", async () => {
    const dir = makeProject("sigterm");
    dirs.push(dir);
    const { edge } = await upDetached(dir);
    const before = await stackPids(dir);
    const server = readServerFile(dir);

    process.kill(server.pid, "SIGTERM");
    await eventually(async () => !isAlive(server.pid, server.startTime));

    // Nothing of the stack noticed: same processes, still serving.
    expect((await getJson<{ release: string }>(`${edge}/api/version`)).release).toBe("v1");
    const running = new Set(processesUnder(dir).map((p) => p.pid));
    expect(before.all.filter((pid) => !running.has(pid))).toEqual([]);

    // The next control plane adopts every process instead of starting new ones, and makes no release.
    await upDetached(dir, ["--port", new URL(edge).port]);
    expect(readServerFile(dir).pid).not.toBe(server.pid);
    const after = await stackPids(dir);
    expect(after.processes).toEqual(before.processes);
    expect(after.addons).toEqual(before.addons);
    expect(after.edge).toEqual(before.edge);
    expect(after.releases).toEqual([1]);
    expect((await getJson<{ release: string }>(`${edge}/api/version`)).release).toBe("v1");
  });
});

function readServerFile(dir: string): { pid: number; startTime: string } {
  return JSON.parse(readFileSync(join(dir, ".slipway", "server.json"), "utf8"));
}

/** The pids of the stack's processes, add-ons and edge, as the control plane and /proc see them. */
async function stackPids(dir: string) {
  const status = await slipway(["status", "--dir", dir, "--json"]);
  expect(status.code, status.stderr).toBe(0);
  const env = (
    JSON.parse(status.stdout) as {
      environments: {
        processes: { id: string; pid: number }[];
        addons: { name: string; pid: number }[];
        releases: { release: number }[];
      }[];
    }
  ).environments[0]!;
  const processes = Object.fromEntries(env.processes.map((p) => [p.id, p.pid]));
  const addons = Object.fromEntries(env.addons.map((a) => [a.name, a.pid]));
  const edge = processesUnder(dir)
    .filter((p) => /^(\S*\/)?haproxy /.test(p.cmd))
    .map((p) => p.pid)
    .sort();
  expect(Object.keys(processes).length).toBeGreaterThan(0);
  expect(Object.keys(addons).sort()).toEqual(["cache", "db", "files"]);
  expect(edge.length).toBeGreaterThan(0);
  return {
    processes,
    addons,
    edge,
    releases: env.releases.map((r) => r.release),
    all: [...Object.values(processes), ...Object.values(addons), ...edge],
  };
}
