// `npm run bench -- canary [--quick]`: the canary judges side by side in the simulator (pure,
// seeded, no processes): Slipway's sequential judge (looks every 5 s at everything since the
// step began), Flagger's defaults (60 s, threshold 1) and tutorial settings (60 s,
// threshold 5), and Argo Rollouts' defaults (60 s, failureLimit 0), each static gate being
// "success rate ≥ 99%, P99 ≤ 500 ms" on the canary's last minute. Every policy sees the same
// simulated traffic in each run. Times count from the canary's first request (Flagger's
// initialisation interval is not counted, which favours it). Requests per minute vary
// (Poisson, bursty, diurnal), so a minute with 99 requests and one error fails a 1% gate.
import { benchmarkPolicies } from "../packages/core/src/canary/policies";
import { simulateRollouts } from "../packages/core/src/canary/rollout-sim";
import {
  canaryAtPerMinute,
  type OutcomeSummary,
  type ScenarioOptions,
  scenario,
  summarize,
} from "../packages/core/src/canary/scenarios";
import { quantile, simulate } from "../packages/core/src/canary/simulate";
import { DEFAULT_CANARY_STEPS } from "../packages/core/src/canary/steps";
import { liveCanary } from "./canary-live";

const DURATION_S = 20 * 60;

const LEVELS: { label: string; totalRps: number }[] = [
  { label: "200 req/s (canary 600/min)", totalRps: 200 },
  { label: "canary 500 req/min", totalRps: canaryAtPerMinute(500) },
  { label: "canary 100 req/min", totalRps: canaryAtPerMinute(100) },
  { label: "canary 20 req/min", totalRps: canaryAtPerMinute(20) },
];

const BAD: { label: string; o: Omit<ScenarioOptions, "totalRps"> }[] = [
  { label: "canary 10% errors", o: { canaryErrorRate: 0.1 } },
  { label: "canary 2% errors", o: { canaryErrorRate: 0.02 } },
  { label: "canary latency ×3", o: { latencyFactor: 3 } },
];

const HEALTHY: { label: string; o: Omit<ScenarioOptions, "totalRps"> }[] = [
  { label: "identical (0.1% errors)", o: {} },
  { label: "both 0.5%, gate > 1%", o: { stableErrorRate: 0.005 } },
];

const fmtS = (s: number) => (Number.isNaN(s) ? "—" : s < 600 ? `${s} s` : `${Math.round(s / 60)} min`);
const cell = (s: OutcomeSummary) =>
  `${fmtS(s.medianS)} / ${fmtS(s.p95S)}${s.rolledBackPct < 100 ? ` (${s.rolledBackPct.toFixed(1)}%)` : ""}`;

export default async function canaryBench({ quick }: { quick: boolean }) {
  const runs = quick ? 200 : 1000;
  const policies = benchmarkPolicies();
  const names = policies.map((p) => p.name);
  const started = performance.now();
  let rollouts = 0;
  const run = (o: Omit<ScenarioOptions, "totalRps">, totalRps: number, seed: number) => {
    const out = simulate(scenario({ ...o, totalRps }), policies, { runs, seed, durationS: DURATION_S });
    rollouts += runs * policies.length;
    return Object.fromEntries(names.map((n) => [n, summarize(out[n]!)])) as Record<string, OutcomeSummary>;
  };
  const head = (first: string) =>
    console.log(`${first.padEnd(50)}${names.map((n) => n.padStart(26)).join("")}`);

  console.log(
    `\ncanary judges in the simulator: ${runs} rollouts per row${quick ? " (--quick: fewer runs than the full 1,000)" : ""}, ` +
      `${DURATION_S / 60} min at 5% canary weight, stable 0.1% errors, latency log-normal median 60 ms (p99 ≈ 240 ms)`,
  );
  console.log("\ntime to rollback, median / p95 (share of runs rolled back within 20 min, when not all)");
  head("scenario");
  const detection: Record<string, Record<string, OutcomeSummary>> = {};
  BAD.forEach((b, i) => {
    LEVELS.forEach((l, j) => {
      const r = run(b.o, l.totalRps, 100 + i * 10 + j);
      detection[`${i}/${j}`] = r;
      console.log(
        `${`${b.label}, ${l.label}`.padEnd(50)}${names.map((n) => cell(r[n]!).padStart(26)).join("")}`,
      );
    });
  });

  console.log("\nfalse rollbacks of healthy canaries (slipway: median time to an advance verdict)");
  head("scenario");
  let worstFalse = 0;
  HEALTHY.forEach((h, i) => {
    LEVELS.forEach((l, j) => {
      const r = run(h.o, l.totalRps, 200 + i * 10 + j);
      worstFalse = Math.max(worstFalse, r.slipway!.rolledBackPct);
      const cells = names.map((n) => {
        const s = r[n]!;
        const extra = n === "slipway" ? ` (adv ${fmtS(s.medianAdvanceS)})` : "";
        return `${s.rolledBackPct.toFixed(1)}%${extra}`.padStart(26);
      });
      console.log(`${`${h.label}, ${l.label}`.padEnd(50)}${cells.join("")}`);
    });
  });
  const rolloutRuns = quick ? 50 : 200;
  console.log(
    `\nwhole rollouts, slipway's default steps (5 → 25 → 50 → 100%, each ≥ 30 min and ≥ 1,000 canary requests), 200 req/s, ${rolloutRuns} runs`,
  );
  const strategy = { kind: "canary" as const, steps: DEFAULT_CANARY_STEPS, onFailure: "rollback" as const };
  for (const [label, o] of [
    ["healthy (identical to stable)", {}],
    ["canary 10% errors", { canaryErrorRate: 0.1 }],
    ["canary latency ×3", { latencyFactor: 3 }],
  ] as const) {
    const out = simulateRollouts(scenario({ totalRps: 200, ...o }), strategy, {
      runs: rolloutRuns,
      seed: 300,
      durationS: 3 * 3600,
    });
    rollouts += rolloutRuns;
    const by = (k: string) => out.filter((r) => r.outcome === k);
    const cells = ["succeeded", "rolled-back"].map((k) => {
      const xs = by(k);
      return `${k} ${((100 * xs.length) / out.length).toFixed(1)}%${
        xs.length
          ? ` (median ${fmtS(
              quantile(
                xs.map((x) => x.atS),
                0.5,
              ),
            )}, at ${quantile(
              xs.map((x) => x.weight),
              0.5,
            )}%)`
          : ""
      }`;
    });
    console.log(`${label.padEnd(50)}${cells.join("   ")}`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${rollouts} simulated rollouts (policy × run) in ${seconds.toFixed(1)} s on this machine`);

  const live = quick ? [] : await liveCanary(3);
  if (quick) console.log("\nlive canary on the example stack: skipped with --quick (it brings the stack up)");
  else {
    console.log("\nlive: a canary at 10% answering 500 to 10% of its requests, example stack, 100 req/s");
    for (const r of live)
      console.log(
        `  first bad response → canary at 0%: ${r.detectS.toFixed(1)} s; failed requests meanwhile ${r.failed} of ${r.requests} (stable release: ${r.stableFailed})`,
      );
  }
  const liveMedian = quantile(
    live.map((r) => r.detectS),
    0.5,
  );

  const tenPct = detection["0/0"]!;
  return {
    detect_median_s: tenPct.slipway!.medianS,
    detect_p95_s: tenPct.slipway!.p95S,
    false_rollback_pct: worstFalse.toFixed(1),
    flagger_detect_median_s: tenPct["flagger-default"]!.medianS,
    argo_detect_median_s: tenPct["argo-default"]!.medianS,
    ...(live.length
      ? {
          live_detect_median_s: liveMedian.toFixed(1),
          live_failed_requests: Math.max(...live.map((r) => r.failed)),
          live_stable_failed: live.reduce((n, r) => n + r.stableFailed, 0),
        }
      : {}),
  };
}
