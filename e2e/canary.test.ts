import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  type LoadReport,
  makeProject,
  slipway,
  startLoad,
  upDetached,
} from "./harness";

interface Timeline {
  rollout: { id: string; phase: string; error: { code: string; message: string } | null };
  judgements: { weight: number; verdict: string; action: string; reason: string }[];
  events: { kind: string; message: string }[];
}

/**
 * Canary releases on the example stack, with steady load on the api through the edge.
 * Given `local` released as a canary (50% then 100%, each step held a few seconds and 200
 * requests, judged on 5xx and on latency against a 100 ms budget); when a release is deployed
 * that is healthy, fails 10% of its requests, or is slow (FAULT_5XX_PERCENT / FAULT_DELAY_MS,
 * the shop api's fault knobs); then the healthy one reaches all traffic, the bad ones are
 * rolled back by the judge, and no request to the stable revision fails.
 */
describe("canary releases under load", () => {
  let dir: string;
  let edge: string;
  let api: string;
  let admin: string;
  let release = 1;
  const as = () => ({ env: { ...process.env, SLIPWAY_TOKEN: admin } });
  const cli = (args: string[]) => slipway([...args, "--dir", dir], as());
  const timeline = () =>
    getJson<Timeline>(`${api}/v1/environments/local/rollout`, {
      headers: { authorization: `Bearer ${admin}` },
    });

  /** The api's fault knobs for the next release (each deploy is a new release of every service). */
  function nextRelease(faults: Record<string, string> = {}) {
    release++;
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        /env: \{ GREETING: [^}]*\}/,
        `env: { GREETING: "hello from v${release}", JOB_BACKOFF_MS: "500"${Object.entries(faults)
          .map(([k, v]) => `, ${k}: "${v}"`)
          .join("")} }`,
      ),
    );
  }

  /** Deploys under load; returns the CLI's result, the load's report and the rollout's timeline. */
  async function deployUnderLoad(args: string[] = []) {
    const load = startLoad(`${edge}/api/version`, { concurrency: 4, ratePerLoop: 25, maxSeconds: 150 });
    const deploy = await cli(["deploy", "--env", "local", ...args]);
    const report = await load.stop();
    return { deploy, report, timeline: await timeline() };
  }

  /** Requests answered by `release` that failed: the stable revision's must be none. */
  const failuresOf = (report: LoadReport, code: string) => report.failures.filter((f) => !f.startsWith(code));

  beforeAll(async () => {
    dir = makeProject("canary");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        "    local: {},",
        `    local: {
      strategy: {
        kind: "canary",
        steps: [
          { weight: 50, holdMinutes: 0.05, holdRequests: 200 },
          { weight: 100, holdMinutes: 0, holdRequests: 0 },
        ],
        analysis: { maxErrorRate: 0.05, minRequests: 30, latency: { quantile: 0.95, budgetMs: 100 } },
      },
    },`,
      ),
    );
    const up = await upDetached(dir);
    edge = up.edge;
    api = up.api;
    admin = up.token!;
  }, 240_000);

  afterAll(async () => {
    await finishProject(dir);
  }, 120_000);

  it("a healthy canary goes to 50%, is judged within limits, and takes all traffic", async () => {
    nextRelease();
    const { deploy, report, timeline: t } = await deployUnderLoad();

    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toMatch(/takes 50% of new requests/);
    expect(t.rollout.phase).toBe("succeeded");
    expect(t.judgements.filter((j) => j.action === "set-weight").map((j) => j.weight)).toEqual([50, 100]);
    expect(t.judgements.find((j) => j.weight === 100)?.reason).toMatch(/every service within limits/);
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
    expect(report.byRelease).toHaveProperty(`v${release}`);
    const version = await getJson<{ release: string }>(`${edge}/api/version`);
    expect(version.release).toBe(`v${release}`);

    const status = await cli(["rollout", "status", "--env", "local"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/succeeded/);
    expect(status.stdout).toMatch(/WEIGHT\s+CANARY\s+STABLE/);
  }, 240_000);

  it("a canary answering 500 to 10% of its requests is rolled back automatically; stable traffic never fails", async () => {
    const live = `v${release}`;
    nextRelease({ FAULT_5XX_PERCENT: "10" });
    const { deploy, report, timeline: t } = await deployUnderLoad();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/SLW_CANARY_ROLLED_BACK/);
    expect(t.rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(t.rollout.error?.message).toMatch(/api: canary worse: .*errors/);
    expect(t.judgements.at(-1)).toMatchObject({ action: "roll-back", verdict: "rollback", weight: 50 });
    // The only failed requests are the canary's injected ones, never the stable revision's.
    expect(failuresOf(report, "500")).toEqual([]);
    expect(report.failures.every((f) => f.includes(`"release":"v${release}"`))).toBe(true);
    await eventually(
      async () => (await getJson<{ release: string }>(`${edge}/api/version`)).release === live,
    );
  }, 240_000);

  it("a canary three times slower than the latency budget is rolled back on latency", async () => {
    nextRelease({ FAULT_DELAY_MS: "300" });
    const { deploy, report, timeline: t } = await deployUnderLoad();

    expect(deploy.code).toBe(1);
    expect(t.rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(t.rollout.error?.message).toMatch(/latency: slower than 100 ms/);
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
  }, 240_000);

  it("pause holds the canary at its weight, promote sends it all traffic; abort rolls another back", async () => {
    // Steps held a minute, so only a human moves these rollouts on.
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace("holdMinutes: 0.05", "holdMinutes: 1"));
    /** A new rollout (not `before`), analysing at 50%. */
    const analysing = (before: string) =>
      eventually(async () => {
        const t = await timeline();
        return t.rollout.id !== before && t.judgements.some((j) => j.weight === 50);
      }, 120_000);
    const before = (await timeline()).rollout.id;
    nextRelease();
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 150 });
    const deploying = cli(["deploy", "--env", "local"]);
    await analysing(before);
    const paused = await cli(["rollout", "pause", "--env", "local"]);
    expect(paused.code, paused.stderr).toBe(0);
    await eventually(async () => (await timeline()).events.some((e) => e.kind === "rollout.paused"), 30_000);
    // Paused well past its hold: still at 50%.
    await new Promise((r) => setTimeout(r, 6_000));
    const held = await timeline();
    expect(held.rollout.phase).toBe("analyzing");
    expect(held.judgements.at(-1)?.reason).toMatch(/paused at 50%/);
    const promoted = await cli(["rollout", "promote", "--env", "local", "--json"]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect((await deploying).code).toBe(0);
    expect((await timeline()).rollout.phase).toBe("succeeded");

    const promotedId = (await timeline()).rollout.id;
    nextRelease();
    const deployingAgain = cli(["deploy", "--env", "local"]);
    await analysing(promotedId);
    const aborted = await cli(["rollout", "abort", "--env", "local"]);
    expect(aborted.code, aborted.stderr).toBe(0);
    const end = await deployingAgain;
    expect(end.code).toBe(1);
    expect(end.stderr).toMatch(/aborted by a human/);
    const report = await load.stop();
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);

    // Nothing to act on once it is over: a clear refusal.
    const late = await cli(["rollout", "pause", "--env", "local"]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/SLW_NOT_FOUND|SLW_CONFLICT/);
  }, 300_000);
  it("blue/green: the new release takes no user traffic until switched, all at once; an abort while warm is instant", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        /strategy: \{[\s\S]*?\n {6}\},/,
        `strategy: { kind: "blueGreen", keepWarmMinutes: 0.5, analysis: { maxErrorRate: 0.05, minRequests: 30 } },`,
      ),
    );
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 150 });
    const version = async () => (await getJson<{ release: string }>(`${edge}/api/version`)).release;
    const switchedTo = async (before: string, live: string) => {
      await eventually(async () => {
        const t = await timeline();
        return t.rollout.id !== before && t.rollout.phase === "analyzing";
      }, 120_000);
      // Probing: every user request still reaches the live release.
      expect(await version()).toBe(live);
      const promoted = await cli(["rollout", "promote", "--env", "local"]);
      expect(promoted.code, promoted.stderr).toBe(0);
      await eventually(async () => (await version()) === `v${release}`);
    };

    let before = (await timeline()).rollout.id;
    nextRelease();
    const old = await version();
    const first = cli(["deploy", "--env", "local"]);
    await switchedTo(before, old);
    const aborted = await cli(["rollout", "abort", "--env", "local"]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect((await first).code).toBe(1);
    expect(await version()).toBe(old);

    before = (await timeline()).rollout.id;
    nextRelease();
    const second = cli(["deploy", "--env", "local"]);
    await switchedTo(before, old);
    const done = await second;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/kept warm|warm period over/);
    const t = await timeline();
    expect(t.rollout.phase).toBe("succeeded");
    const report = await load.stop();
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
  }, 300_000);
  it("kill -9 of the control plane right after a step is stored: the restarted one resumes it and finishes", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        /strategy: \{ kind: "blueGreen"[^\n]*\n/,
        `strategy: {
        kind: "canary",
        steps: [{ weight: 50, holdMinutes: 0.05, holdRequests: 200 }, { weight: 100, holdMinutes: 0, holdRequests: 0 }],
        analysis: { maxErrorRate: 0.05, minRequests: 30 },
      },
`,
      ),
    );
    const server = () =>
      JSON.parse(readFileSync(join(dir, ".slipway", "server.json"), "utf8")) as { pid: number };
    const alive = (pid: number) => {
      try {
        return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
      } catch {
        return false;
      }
    };
    const upAgain = async (env: NodeJS.ProcessEnv) => {
      const r = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"], {
        env,
      });
      expect(r.code, r.stderr).toBe(0);
      api = (JSON.parse(r.stdout) as { controlPlane: string }).controlPlane;
    };
    const before = server().pid;
    process.kill(before, "SIGTERM");
    await eventually(async () => !alive(before), 60_000);
    await upAgain({ ...process.env, SLIPWAY_FAULT: "canary:step-saved" });
    const previous = (await timeline()).rollout.id;
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 150 });
    nextRelease();
    const armed = server().pid;
    const dying = await cli(["deploy", "--env", "local"]);
    expect(dying.code).not.toBe(0);
    await eventually(async () => !alive(armed), 60_000);

    await upAgain(process.env);
    const t = await eventually(async () => {
      const now = await timeline();
      return now.rollout.id !== previous && ["succeeded", "failed"].includes(now.rollout.phase)
        ? now
        : undefined;
    }, 120_000);
    expect(t.rollout.phase).toBe("succeeded");
    expect(t.judgements.filter((j) => j.action === "set-weight").map((j) => j.weight)).toEqual([50, 100]);
    expect((await getJson<{ release: string }>(`${edge}/api/version`)).release).toBe(`v${release}`);
    const report = await load.stop();
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
  }, 300_000);
});
