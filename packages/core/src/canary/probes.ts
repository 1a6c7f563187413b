/**
 * Probes that gate each step of a canary or blue/green rollout (the spec's
 * `strategy.analysis.probes`): synthetic traffic sent to the new revision, judged here from
 * what was observed. Pure: the server runs the probes and hands the observations in.
 */

/** `GET path` N times through the edge, forced to the canary: every status expected, p95 within budget. */
export interface HttpProbe {
  kind: "http";
  name: string;
  method: string;
  path: string;
  calls: number;
  p95BudgetMs: number;
  expectStatus: number[];
}

/**
 * Something asynchronous the canary must finish in time: POST `trigger.path` (answering JSON
 * with the id in `idField`), then GET `poll` (with `{id}` replaced) until the JSON field
 * `doneField` equals one of `doneValues` (pass) or `failedValues` (fail), within the deadline.
 * `job`: an enqueued job completes; `event`: a written event is delivered.
 */
export interface TriggerPollProbe {
  kind: "job" | "event";
  name: string;
  trigger: { method: string; path: string; body?: unknown };
  idField: string;
  poll: string;
  doneField: string;
  doneValues: string[];
  failedValues: string[];
  deadlineSeconds: number;
  pollIntervalMs: number;
}

/** argv run with the canary `service`'s environment; passes on exit code 0 within the timeout. */
export interface CommandProbe {
  kind: "command";
  name: string;
  service: string;
  command: string[];
  timeoutSeconds: number;
}

export type ProbeSpec = HttpProbe | TriggerPollProbe | CommandProbe;

/** One call of an HTTP probe: its status and time, or the transport error that stopped it. */
export type HttpCall = { status: number; ms: number } | { error: string };

/** What a job or event probe saw: the trigger's answer and the last poll. */
export interface TriggerPollObservation {
  kind: "job" | "event";
  /** The trigger's answer: its status, and the id found in it (absent: none found). */
  trigger: { status: number; id?: string } | { error: string };
  /** The last poll's answer: the value of `doneField` (absent: the field was missing). */
  lastValue?: string;
  /** A poll that could not be made at all (the edge did not answer). */
  pollError?: string;
  elapsedMs: number;
  /** Still waiting: the deadline has not passed yet. */
  running: boolean;
}

export type ProbeObservation =
  | { kind: "http"; calls: HttpCall[] }
  | TriggerPollObservation
  | { kind: "command"; exitCode: number | null; timedOut: boolean; error?: string; outputTail?: string };

export type ProbeOutcome = "pass" | "fail" | "pending";

export interface ProbeResult {
  name: string;
  kind: ProbeSpec["kind"];
  outcome: ProbeOutcome;
  /** In words and numbers, e.g. "p95 312 ms over 20 calls, budget 250 ms". */
  reason: string;
  numbers: Record<string, number>;
}

/**
 * Pass, fail or pending from what a probe observed. Pending (hold, never roll back by itself)
 * is for missing evidence: the edge could not be reached, or the probe has not finished.
 * A wrong answer from the canary is a failure.
 */
export function evaluateProbe(probe: ProbeSpec, seen: ProbeObservation): ProbeResult {
  const result = (outcome: ProbeOutcome, reason: string, numbers: Record<string, number> = {}) => ({
    name: probe.name,
    kind: probe.kind,
    outcome,
    reason: `${probe.kind} probe ${probe.name}: ${reason}`,
    numbers,
  });
  if (probe.kind === "http" && seen.kind === "http") return evaluateHttp(probe, seen.calls, result);
  if ((probe.kind === "job" || probe.kind === "event") && (seen.kind === "job" || seen.kind === "event"))
    return evaluateTriggerPoll(probe, seen, result);
  if (probe.kind === "command" && seen.kind === "command") return evaluateCommand(probe, seen, result);
  return result("pending", `observed a ${seen.kind} result for a ${probe.kind} probe`);
}

/** The worst outcome decides: any fail fails, else any pending holds, else pass (none: pass). */
export function combineProbeOutcomes(results: ProbeResult[]): ProbeOutcome {
  if (results.some((r) => r.outcome === "fail")) return "fail";
  if (results.some((r) => r.outcome === "pending")) return "pending";
  return "pass";
}

type Make = (outcome: ProbeOutcome, reason: string, numbers?: Record<string, number>) => ProbeResult;

function evaluateHttp(probe: HttpProbe, calls: HttpCall[], result: Make): ProbeResult {
  const answered = calls.filter((c): c is { status: number; ms: number } => "status" in c);
  const unexpected = answered.filter((c) => !probe.expectStatus.includes(c.status));
  const numbers = { calls: probe.calls, answered: answered.length, unexpected: unexpected.length };
  if (unexpected.length > 0) {
    const statuses = [...new Set(unexpected.map((c) => c.status))].join(", ");
    return result(
      "fail",
      `${unexpected.length} of ${answered.length} calls answered ${statuses}, expected ${probe.expectStatus.join(", ")}`,
      numbers,
    );
  }
  const errors = calls.length - answered.length;
  if (answered.length < probe.calls) {
    const firstError = calls.find((c): c is { error: string } => "error" in c)?.error;
    return result(
      "pending",
      `${answered.length} of ${probe.calls} calls answered${errors ? ` (${errors} could not be made: ${firstError})` : ""}`,
      { ...numbers, errors },
    );
  }
  const p95 = percentile(
    answered.map((c) => c.ms),
    0.95,
  );
  const timing = { ...numbers, p95Ms: p95, budgetMs: probe.p95BudgetMs };
  if (p95 > probe.p95BudgetMs)
    return result(
      "fail",
      `p95 ${p95} ms over ${answered.length} calls, budget ${probe.p95BudgetMs} ms`,
      timing,
    );
  return result(
    "pass",
    `p95 ${p95} ms over ${answered.length} calls, within ${probe.p95BudgetMs} ms`,
    timing,
  );
}

function evaluateTriggerPoll(
  probe: TriggerPollProbe,
  seen: TriggerPollObservation,
  result: Make,
): ProbeResult {
  const deadlineMs = probe.deadlineSeconds * 1000;
  const numbers = { elapsedMs: seen.elapsedMs, deadlineMs };
  const t = seen.trigger;
  if ("error" in t)
    return result("pending", `the trigger ${probe.trigger.path} could not be sent: ${t.error}`);
  if (t.status < 200 || t.status > 299)
    return result("fail", `the trigger ${probe.trigger.path} answered ${t.status}`, { status: t.status });
  if (t.id === undefined)
    return result("fail", `the trigger's answer has no "${probe.idField}" field`, { status: t.status });
  const took = `${seen.elapsedMs} ms`;
  if (seen.lastValue !== undefined && probe.doneValues.includes(seen.lastValue)) {
    if (seen.elapsedMs > deadlineMs)
      return result(
        "fail",
        `${t.id} was ${seen.lastValue} after ${took}, deadline ${deadlineMs} ms`,
        numbers,
      );
    return result("pass", `${t.id} was ${seen.lastValue} after ${took}, within ${deadlineMs} ms`, numbers);
  }
  if (seen.lastValue !== undefined && probe.failedValues.includes(seen.lastValue))
    return result("fail", `${t.id} was ${seen.lastValue} after ${took}`, numbers);
  const state = seen.lastValue === undefined ? "not yet reported" : `still ${seen.lastValue}`;
  if (seen.running) return result("pending", `${t.id} ${state} after ${took}`, numbers);
  // The deadline passed: a canary that does not finish in time fails, unless we could not
  // even ask (the edge was down), which says nothing about the canary.
  if (seen.pollError && seen.lastValue === undefined)
    return result("pending", `${t.id} could not be polled: ${seen.pollError}`, numbers);
  return result("fail", `${t.id} ${state} after ${took}, deadline ${deadlineMs} ms`, numbers);
}

function evaluateCommand(
  probe: CommandProbe,
  seen: Extract<ProbeObservation, { kind: "command" }>,
  result: Make,
): ProbeResult {
  const argv = probe.command.join(" ");
  const tail = seen.outputTail ? `; output ends: ${seen.outputTail}` : "";
  if (seen.error) return result("pending", `${argv} could not be run: ${seen.error}`);
  if (seen.timedOut)
    return result("fail", `${argv} did not finish within ${probe.timeoutSeconds} s${tail}`, {
      timeoutSeconds: probe.timeoutSeconds,
    });
  if (seen.exitCode === 0) return result("pass", `${argv} exited 0`, { exitCode: 0 });
  return result("fail", `${argv} exited ${seen.exitCode ?? "on a signal"}${tail}`, {
    exitCode: seen.exitCode ?? -1,
  });
}

/** Nearest-rank percentile (q in 0..1) of whole milliseconds; 0 for no samples. */
function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
