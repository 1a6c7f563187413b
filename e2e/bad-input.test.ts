import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  removeProject,
  slipway,
  upDetached,
} from "./harness";

/**
 * Bad input gets a clear error naming what is wrong and how to fix it, and the live
 * release keeps serving through all of it.
 */
describe("bad input leaves the live release serving", () => {
  let dir: string;
  let edge: string;
  let port: number;
  const config = () => join(dir, "slipway.config.ts");
  let pristine = "";

  const stillServingV1 = async () => {
    const v = await getJson<{ release: string }>(`${edge}/api/version`);
    expect(v.release).toBe("v1");
  };

  beforeAll(async () => {
    dir = makeProject("bad");
    edge = (await upDetached(dir)).edge;
    port = Number(new URL(edge).port);
    pristine = readFileSync(config(), "utf8");
  });

  afterAll(() => finishProject(dir));

  const restoreSpec = () => writeFileSync(config(), pristine);

  it("an invalid spec: names the file, the field and the fix; nothing deployed", async () => {
    editFile(config(), (t) => t.replace('type: "worker"', 'type: "wroker"').replace("health: {", "helth: {"));
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SLW_SPEC_INVALID");
    expect(r.stderr).toContain("slipway.config.ts");
    expect(r.stderr).toMatch(/services\.worker\.type/);
    expect(r.stderr).toMatch(/did you mean .?health/i);
    restoreSpec();
    await stillServingV1();
  });

  it("a hostile service name is refused by validate, and nothing is run", async () => {
    const marker = join(dir, "pwned");
    editFile(config(), (t) => t.replace("    worker: {", `    "my api $(touch ${marker})": {`));
    const r = await slipway(["validate", "--dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("services");
    expect(r.stderr).toContain("$(touch");
    expect(existsSync(marker)).toBe(false);
    restoreSpec();
    await stillServingV1();
  });

  it("a failing migration: shows the job's output, exits non-zero, traffic never moves", async () => {
    editFile(config(), (t) =>
      t
        .replace(
          'command: ["node", "migrate.mjs"],',
          'command: ["node", "migrate.mjs"],\n      env: { FAIL_MIGRATION: "1" },',
        )
        // The failed release also moves a route: nothing may show or route by it.
        .replace('{ path: "/api", service: "api" }', '{ path: "/moved", service: "api" }'),
    );
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_RELEASE_JOB_FAILED");
    expect(r.stderr).toContain("--- output ---");
    expect(r.stderr).toMatch(/FAIL_MIGRATION/);
    // Status shows the live release's routes, not those of the spec the failed deploy read.
    const status = JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout) as {
      environments: { routes: { path: string }[] }[];
    };
    expect(status.environments[0]!.routes.map((r) => r.path).sort()).toEqual(["/", "/api"]);
    restoreSpec();
    await stillServingV1();
  });

  it("a service that never gets healthy: deploy fails, its processes are stopped, v1 serves", async () => {
    editFile(config(), (t) =>
      t.replace('health: { path: "/healthz" }', 'health: { path: "/never", timeoutSeconds: 4 }'),
    );
    const r = await slipway(["deploy", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_UNHEALTHY");
    expect(r.stderr).toContain("slipway logs");
    restoreSpec();
    await stillServingV1();
    const status = JSON.parse((await slipway(["status", "--dir", dir, "--json"])).stdout) as {
      environments: { processes: { release: number }[] }[];
    };
    expect(new Set(status.environments[0]!.processes.map((p) => p.release))).toEqual(new Set([1]));
  });

  it("a port already taken: says which and how to choose another; the first stack is untouched", async () => {
    const other = makeProject("port");
    try {
      const r = await slipway(["up", "--detach", "--dir", other, "--port", String(port), "--api-port", "0"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("SLW_PORT_IN_USE");
      expect(r.stderr).toContain(String(port));
      expect(r.stderr).toContain("--port");
      expect(processesUnder(other)).toEqual([]);
    } finally {
      removeProject(other);
    }
    await stillServingV1();
  });

  it("redis-server missing: names the binary and the apt line, starts nothing", async () => {
    const other = makeProject("nobin");
    const bin = join(other, ".bin");
    mkdirSync(bin);
    for (const tool of ["node", "npm", "git", "tar", "haproxy", "stat", "useradd"]) {
      const found = ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin"]
        .map((d) => join(d, tool))
        .find(existsSync);
      if (found) symlinkSync(found, join(bin, tool));
    }
    try {
      const r = await slipway(["up", "--detach", "--dir", other, "--port", "0", "--api-port", "0"], {
        env: { ...process.env, PATH: bin },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("SLW_BINARY_MISSING");
      expect(r.stderr).toContain("apt-get install -y redis-server");
      expect(processesUnder(other)).toEqual([]);
    } finally {
      removeProject(other);
    }
    await stillServingV1();
  });

  it("a corrupt .slipway state file: the CLI names it and the fix; the stack keeps serving", async () => {
    const creds = join(dir, ".slipway", "credentials.json");
    const saved = readFileSync(creds, "utf8");
    writeFileSync(creds, "{ not json");
    const r = await slipway(["status", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_STATE_CORRUPT");
    expect(r.stderr).toContain("credentials.json");
    expect(r.stderr).toMatch(/SLIPWAY_TOKEN/);
    writeFileSync(creds, saved);
    await stillServingV1();
  });

  it("a bad CLI flag: says which flag and what it takes", async () => {
    const r = await slipway(["rollback", "--dir", dir, "--to", "vX"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--to");
    const typo = await slipway(["deplyo"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean deploy/i);
  });
});
