import type { ProcessSpec } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { fakeDriver } from "./fake-driver";

const spec = (id: string): ProcessSpec => ({
  id,
  argv: ["web"],
  cwd: "/app",
  env: {},
  logFile: "/logs/x.log",
  drainSeconds: 1,
  health: { kind: "liveness" },
});

describe("fakeDriver: what the test decides happens, on the injected clock", () => {
  it("a process becomes healthy only once the clock passes its healthyAfterMs", async () => {
    const { driver, world } = fakeDriver();
    world.whenProcess("prod/v2/", { healthyAfterMs: 5_000 });
    await driver.runtime.start(spec("prod/v2/web/1"));
    expect(await driver.runtime.waitHealthy("prod/v2/web/1", 60_000)).toBe(false);
    world.clock.advance(5_000);
    expect(await driver.runtime.waitHealthy("prod/v2/web/1", 0)).toBe(true);
  });

  it("a crash-looping process is restarted while supervised, never healthy, and gone once retired", async () => {
    const { driver, world } = fakeDriver();
    world.whenProcess("w", { exitAfterMs: 100, healthyAfterMs: 500 });
    await driver.runtime.start(spec("w"));
    world.clock.advance(350);
    expect(driver.runtime.has("w")).toBe(true);
    expect(await driver.runtime.waitHealthy("w", 0)).toBe(false);
    expect(driver.runtime.lastHealthCheck("w")).toBe("exited 3 times (crash loop)");
    driver.runtime.retire("w");
    expect(driver.runtime.has("w")).toBe(false);
    expect(world.running()).toEqual([]);
  });

  it("a killed process is not adopted; a detached one runs on until someone adopts it", async () => {
    const { driver, world } = fakeDriver();
    const a = await driver.runtime.start(spec("a"));
    const b = await driver.runtime.start(spec("b"));
    driver.runtime.detach();
    world.kill("a");
    expect(world.running()).toEqual(["b"]);
    const next = fakeDriver({ world }).driver.runtime;
    expect(next.adopt(spec("a"), a)).toBeUndefined();
    expect(next.adopt(spec("b"), b)?.pid).toBe(b.pid);
    expect(driver.runtime.has("b")).toBe(false);
  });

  it("a job runs for its runsForMs, then exits with its code, or vanishes without one", async () => {
    const { driver, world } = fakeDriver();
    world.whenJob("slow", { runsForMs: 1_000, exit: 2 }).whenJob("lost", { exit: "vanish" });
    const job = (id: string) => ({ id, argv: ["x"], cwd: "/", env: {}, nonce: id, logFile: "/l" });
    const slow = { ...job("slow"), pid: await driver.runtime.runJob(job("slow")) };
    const lost = { ...job("lost"), pid: await driver.runtime.runJob(job("lost")) };
    expect(driver.runtime.jobOutcome(slow).state).toBe("running");
    world.clock.advance(1_000);
    expect(driver.runtime.jobOutcome(slow)).toEqual({ state: "exited", code: 2 });
    expect(driver.runtime.jobOutcome(lost)).toEqual({ state: "unknown" });
    expect(world.jobRuns("slow")).toBe(1);
  });

  it("the edge reports the counters a test injects, and where new traffic goes", async () => {
    const { driver, world } = fakeDriver();
    const edge = driver.edge({ env: "prod" });
    await edge.ensure({
      env: "prod",
      publicPort: 80,
      routes: [],
      backends: [{ name: "web", servers: [{ name: "web-r1", port: 1, weight: 256, state: "ready" }] }],
    });
    await edge.setServers("web", [
      { name: "web-r1", port: 1, weight: 0, state: "drain" },
      { name: "web-r2", port: 2, weight: 256, state: "ready" },
    ]);
    world.edge("prod").inject("web", "web-r2", { requests: 10, sessions: 2 });
    expect(world.edge("prod").weights("web")).toEqual({ "web-r2": 256 });
    expect((await edge.stats()).find((s) => s.server === "web-r2")).toMatchObject({
      requests: 10,
      status: "UP",
    });
    expect(await edge.sessions("web")).toEqual({ "web-r1": 0, "web-r2": 2 });
    await expect(edge.setServers("api", [])).rejects.toMatchObject({ code: "SLW_EDGE_FAILED" });
  });

  it("a planted failure is thrown by the call it names, once", async () => {
    const { driver, world } = fakeDriver();
    world.failOn("start a", new TypeError("boom"));
    await expect(driver.runtime.start(spec("a"))).rejects.toThrow("boom");
    await driver.runtime.start(spec("a"));
    expect(world.calls).toEqual(["start a"]);
  });

  it("a failing build throws SLW_BUILD_FAILED with its output", async () => {
    const { driver, world } = fakeDriver();
    world.failBuilds("npm ERR! missing script");
    await expect(driver.builder.build({ sourceDir: "/src", progress: () => {} })).rejects.toMatchObject({
      code: "SLW_BUILD_FAILED",
      detail: { output: "npm ERR! missing script" },
    });
  });

  it("a rotated postgres login: the new one valid beside the old until withdrawn, as the local driver", async () => {
    const { driver, world } = fakeDriver();
    const pg = { type: "postgres" as const, version: 15, databases: ["shop"] };
    const record = {
      env: "prod",
      name: "db",
      kind: "postgres" as const,
      port: 5,
      password: "root",
      dataDir: "/d",
    };
    const v1 = { version: 1, password: "p1" };
    await driver.addons.rotatePassword(pg, record, v1, { withdrawPrevious: false });
    expect(driver.addons.connectionEnv(pg, record, v1).DATABASE_URL).toBe(
      "postgres://app_alt:p1@127.0.0.1:5/shop",
    );
    expect(world.logins.get("prod/db")).toEqual(new Map([["app_alt", "p1"]]));
    await driver.addons.rotatePassword(
      pg,
      record,
      { version: 2, password: "p2" },
      { withdrawPrevious: true },
    );
    expect(world.logins.get("prod/db")).toEqual(new Map([["app", "p2"]]));
    await expect(
      driver.addons.rotatePassword({ type: "bucket" }, { ...record, kind: "bucket" }, v1, {
        withdrawPrevious: false,
      }),
    ).rejects.toMatchObject({ code: "SLW_BAD_REQUEST" });
  });
});
