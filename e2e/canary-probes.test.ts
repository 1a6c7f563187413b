import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
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
 * Probes gate releases on the example stack (seed 001), with steady load on the api:
 * - a blue/green release is probed (an HTTP probe with a p95 budget) and takes all traffic at
 *   once by itself, no `rollout promote`; an abort within its warm time puts the old one back;
 * - a canary whose new worker fails every job is rolled back by its job probe (a synthetic job
 *   enqueued through the new revision's api, expected done within a deadline), the judgement
 *   naming the probe.
 * Neither loses a user's request.
 */
describe("probes gate releases under load", () => {
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
  const version = async () => (await getJson<{ release: string }>(`${edge}/api/version`)).release;
  const config = () => join(dir, "slipway.config.ts");

  /** The environment's strategy, as spec source. */
  function strategy(source: string) {
    editFile(config(), (t) =>
      t.replace(
        / {4}local: \{(?:\},|[\s\S]*?\n {4}\},)\n/,
        `    local: {\n      strategy: ${source},\n    },\n`,
      ),
    );
  }

  /** A new release of every service (the api's greeting changes). */
  function nextRelease() {
    release++;
    editFile(config(), (t) => t.replace(/GREETING: "hello from v\d+"/, `GREETING: "hello from v${release}"`));
  }

  beforeAll(async () => {
    dir = makeProject("canary-probes");
    strategy('{ kind: "direct" }');
    const up = await upDetached(dir);
    edge = up.edge;
    api = up.api;
    admin = up.token!;
  }, 240_000);

  afterAll(async () => {
    await finishProject(dir);
  }, 120_000);

  it("blue/green switches all traffic at once on its probes alone; an abort while warm puts the old one back", async () => {
    // Latency budgets for a loaded two-core machine: the probe is what decides here, not the clock.
    strategy(`{
        kind: "blueGreen",
        keepWarmMinutes: 2,
        analysis: {
          maxErrorRate: 0.05,
          minRequests: 30,
          latency: { quantile: 0.95, budgetMs: 2000 },
          probes: [{ kind: "http", name: "version-p95", path: "/api/version", calls: 20, p95BudgetMs: 2000 }],
        },
      }`);
    const before = (await timeline()).rollout.id;
    const old = await version();
    nextRelease();
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 200 });
    const deploying = cli(["deploy", "--env", "local"]);

    // Given the probes pass, it switches by itself: every new request reaches the new release.
    const switched = await eventually(async () => {
      const t = await timeline();
      return t.rollout.id !== before && t.judgements.some((j) => j.weight === 100) ? t : undefined;
    }, 150_000);
    await eventually(async () => (await version()) === `v${release}`);
    expect(switched.rollout.phase).toBe("analyzing");
    expect(switched.events.map((e) => e.kind)).not.toContain("rollout.promote-requested");
    const steps = switched.judgements.filter((j) => j.action === "set-weight");
    expect(steps.map((j) => j.weight)).toEqual([0, 100]);
    expect(steps[1]).toMatchObject({ verdict: "advance" });
    expect(steps[1]!.reason).toMatch(/blue\/green: switch all traffic: /);

    // When aborted within the warm time, the old release takes every request again at once.
    const aborted = await cli(["rollout", "abort", "--env", "local"]);
    expect(aborted.code, aborted.stderr).toBe(0);
    await eventually(async () => (await version()) === old, 10_000);
    const end = await deploying;
    expect(end.code).toBe(1);
    expect(end.stderr).toMatch(/SLW_CANARY_ROLLED_BACK/);
    expect(end.stderr).toMatch(/aborted by a human/);
    const report = await load.stop();
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
    expect(report.byRelease).toHaveProperty(`v${release}`);
  }, 300_000);

  it("a canary whose worker fails every job is rolled back by its job probe, which the judgement names", async () => {
    // The judge alone never decides here (it wants more requests than the test sends), so
    // the probes run at every look: only a failed job can end this rollout.
    strategy(`{
        kind: "canary",
        steps: [{ weight: 50, holdMinutes: 0.05, holdRequests: 100 }, { weight: 100, holdMinutes: 0, holdRequests: 0 }],
        analysis: {
          maxErrorRate: 0.05,
          minRequests: 1000000,
          latency: { quantile: 0.95, budgetMs: 2000 },
          probes: [{
            kind: "job",
            name: "square-job",
            trigger: { path: "/api/jobs", body: { n: 7 } },
            poll: "/api/jobs/{id}",
            deadlineSeconds: 30,
          }],
        },
      }`);
    // The new release's worker has a bug: every job it takes fails, for good.
    editFile(join(dir, "worker.mjs"), (t) =>
      t.replace(
        "async function square(job) {",
        'async function square(job) {\n  throw new UnrecoverableError("this release cannot square");',
      ),
    );
    const old = await version();
    nextRelease();
    const load = startLoad(`${edge}/api/version`, { concurrency: 2, ratePerLoop: 25, maxSeconds: 200 });
    const deploy = await cli(["deploy", "--env", "local"]);
    const report = await load.stop();
    const t = await timeline();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/SLW_CANARY_ROLLED_BACK/);
    expect(t.rollout.error?.code).toBe("SLW_CANARY_ROLLED_BACK");
    expect(t.rollout.error?.message).toMatch(/probes: job probe square-job: .*failed/);
    expect(t.judgements.at(-1)).toMatchObject({ action: "roll-back", verdict: "rollback", weight: 50 });
    expect(t.judgements.at(-1)!.reason).toMatch(/^at 50%: probes: job probe square-job/);
    // The api of the new release answered well: no user request failed, on either revision.
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
    expect(await version()).toBe(old);
  }, 300_000);
});
