import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./harness";

const root = mkdtempSync(join(tmpdir(), "slipway-setup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Runs scripts/setup.sh with a PATH of stand-ins: the system tools it needs, the binaries that
 * "are installed", and apt-get, service and npm recording how they were called.
 */
function runSetup(name: string, installed: string[]): string[] {
  const bin = join(root, name);
  const calls = join(root, `${name}.calls`);
  spawnSync("mkdir", ["-p", bin]);
  writeFileSync(calls, "");
  for (const tool of ["dirname", "ls", "id"]) {
    const real = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => existsSync(p))!;
    symlinkSync(real, join(bin, tool));
  }
  const stub = (file: string, body: string) => {
    writeFileSync(join(bin, file), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, file), 0o755);
  };
  for (const b of installed) stub(b, "exit 0");
  for (const b of ["apt-get", "service", "npm", "sudo"]) stub(b, `echo "${b} $*" >> ${calls}`);
  const r = spawnSync("/bin/bash", [join(REPO, "scripts", "setup.sh")], {
    env: { PATH: bin },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(calls, "utf8").trim().split("\n").filter(Boolean);
}

describe("scripts/setup.sh", () => {
  it("touches no server that was already installed", () => {
    // PostgreSQL is found under /usr/lib/postgresql on this machine, like the others here.
    const calls = runSetup("all-there", ["redis-server", "haproxy", "wrk", "zstd", "ip", "systemd-analyze"]);
    expect(calls.filter((c) => c.startsWith("service") || c.startsWith("apt-get"))).toEqual([]);
    expect(calls).toContain("npm install --no-audit --no-fund");
  });

  it("installs the test tools that are missing, and starts no server for them", () => {
    const calls = runSetup("no-test-tools", ["redis-server", "haproxy", "wrk", "zstd"]);
    expect(calls.some((c) => /^apt-get install .* iproute2 systemd$/.test(c))).toBe(true);
    expect(calls.filter((c) => c.startsWith("service"))).toEqual([]);
  });

  it("stops only the server it has just installed", () => {
    const calls = runSetup("no-redis", ["haproxy", "wrk", "zstd", "ip", "systemd-analyze"]);
    expect(calls.some((c) => /^apt-get install .*redis-server/.test(c))).toBe(true);
    expect(calls.filter((c) => c.startsWith("service"))).toEqual(["service redis-server stop"]);
  });
});
