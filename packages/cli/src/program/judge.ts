import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { act, jsonOpt, positive } from "./options";

const judgeCommand = () => import("../commands/judge");

const fraction = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`${flag} takes a number ≥ 0, got ${JSON.stringify(v)}`);
  return n;
};

/** `slipway judge`: the canary judgement on counts from a file or Prometheus (for Argo Rollouts). */
export function registerJudgeCommands(program: Command) {
  program
    .command("judge")
    .description(
      "judge a canary against its stable revision on counts from --counts or Prometheus; exit 0 advance, 1 roll back, 3 inconclusive (hold)",
    )
    .option("--counts <file>", 'JSON {"canary": {"requests", "errors"}, "stable": {…}} ("-" for stdin)')
    .option("--prometheus <url>", "Prometheus to query, e.g. http://prometheus:9090")
    .option("--service <name>", 'adds service="<name>" to both selectors')
    .option(
      "--canary-selector <matchers>",
      'PromQL label matchers of the canary\'s series, e.g. pod_template_hash="abc"',
    )
    .option("--stable-selector <matchers>", "PromQL label matchers of the stable revision's series")
    .option("--requests-metric <name>", "counter of HTTP responses", "http_requests_total")
    .option("--status-label <label>", "that counter's status-code label", "code")
    .option("--latency-metric <name>", "histogram of request seconds, with a bucket at the latency budget")
    .option(
      "--window <seconds>",
      "seconds of counts judged (grows while --until-decided looks again)",
      positive("--window"),
      300,
    )
    .option("--max-error-rate <rate>", "highest canary error rate (0.01 = 1%)", fraction("--max-error-rate"))
    .option(
      "--margin <fraction>",
      "how much worse than stable the canary may be (0.5 = 50%)",
      fraction("--margin"),
    )
    .option("--min-requests <n>", "canary requests before it can advance", positive("--min-requests"))
    .option("--latency-budget-ms <ms>", "p95 budget in milliseconds", positive("--latency-budget-ms"))
    .option("--until-decided", "keep looking while the evidence is inconclusive, instead of exiting 3")
    .option("--interval <seconds>", "seconds between looks with --until-decided", positive("--interval"), 15)
    .addOption(jsonOpt())
    .action(act(async (o) => (await judgeCommand()).judge(o)));
}
