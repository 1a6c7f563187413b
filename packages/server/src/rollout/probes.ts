import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CommandProbe,
  evaluateProbe,
  FORCE_CANARY_HEADER,
  type HttpCall,
  type HttpProbe,
  type ProbeObservation,
  type ProbeResult,
  type ProbeSpec,
  type RuntimePort,
  type TriggerPollObservation,
  type TriggerPollProbe,
} from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { addonEnv } from "../environment/addons";
import { buildDir, launchOf } from "../environment/processes";

/**
 * Probe traffic goes through the edge forced to the canary, so it reaches the new revision
 * (and counts as its traffic when organic traffic is too thin to decide).
 */
const FORCE_CANARY = { [FORCE_CANARY_HEADER]: "1" };

/** The longest one probe call may take before it counts as not answered. */
const CALL_TIMEOUT_MS = 10_000;

/** Where probes send traffic and how a command probe runs: what `probeAll` needs, no more. */
export interface ProbeTarget {
  /** The environment's public edge, e.g. "http://127.0.0.1:8080". */
  baseUrl: string;
  /** Runs a command probe with its service's new-revision environment; never throws. */
  runCommand(probe: CommandProbe): Promise<Extract<ProbeObservation, { kind: "command" }>>;
}

/**
 * Runs the release's probes against its canary, one after another (so one probe's load does not
 * skew another's latency), and judges each with core's `evaluateProbe`. Never throws: a
 * probe that cannot be run is pending, which holds the rollout and never rolls it back.
 */
export async function runProbes(
  ctx: Ctx,
  opts: { env: EnvironmentRow; release: ReleaseRow; canaryBaseUrl: string; probes: ProbeSpec[] },
): Promise<ProbeResult[]> {
  return probeAll(
    {
      baseUrl: opts.canaryBaseUrl,
      runCommand: (probe) => runReleaseCommand(ctx, opts.env, opts.release, probe),
    },
    opts.probes,
  );
}

export async function probeAll(target: ProbeTarget, probes: ProbeSpec[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const probe of probes) results.push(evaluateProbe(probe, await observe(target, probe)));
  return results;
}

function observe(target: ProbeTarget, probe: ProbeSpec): Promise<ProbeObservation> {
  switch (probe.kind) {
    case "http":
      return observeHttp(target.baseUrl, probe);
    case "job":
    case "event":
      return observeTriggerPoll(target.baseUrl, probe);
    case "command":
      return target.runCommand(probe);
  }
}

/** N calls in a row; stops at the first unexpected status, which already decides. */
async function observeHttp(baseUrl: string, probe: HttpProbe): Promise<ProbeObservation> {
  const calls: HttpCall[] = [];
  for (let i = 0; i < probe.calls; i++) {
    const call = await timedCall(`${baseUrl}${probe.path}`, { method: probe.method });
    calls.push("error" in call ? call : { status: call.status, ms: call.ms });
    if ("status" in call && !probe.expectStatus.includes(call.status)) break;
  }
  return { kind: "http", calls };
}

/**
 * Trigger, then poll until core's judgement is no longer pending or the deadline passes. The
 * loop asks `evaluateProbe` when to stop, so what ends it is what decides the outcome.
 */
async function observeTriggerPoll(baseUrl: string, probe: TriggerPollProbe): Promise<ProbeObservation> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const body = probe.trigger.body === undefined ? undefined : JSON.stringify(probe.trigger.body);
  const sent = await timedCall(`${baseUrl}${probe.trigger.path}`, { method: probe.trigger.method, body });
  if ("error" in sent) return { kind: probe.kind, trigger: sent, elapsedMs: elapsed(), running: false };
  const idValue = field(sent.json, probe.idField);
  const trigger = { status: sent.status, ...(idValue !== undefined ? { id: idValue } : {}) };
  const seen: TriggerPollObservation = {
    kind: probe.kind,
    trigger,
    elapsedMs: elapsed(),
    running: true,
  };
  if (trigger.id === undefined || sent.status < 200 || sent.status > 299) return { ...seen, running: false };
  const url = `${baseUrl}${probe.poll.replaceAll("{id}", encodeURIComponent(trigger.id))}`;
  const deadline = probe.deadlineSeconds * 1000;
  for (;;) {
    const polled = await timedCall(url, { method: "GET" });
    if ("error" in polled) seen.pollError = polled.error;
    else {
      delete seen.pollError;
      const value = field(polled.json, probe.doneField);
      if (value !== undefined) seen.lastValue = value;
    }
    seen.elapsedMs = elapsed();
    seen.running = seen.elapsedMs <= deadline;
    if (!seen.running || evaluateProbe(probe, seen).outcome !== "pending") return seen;
    await sleep(Math.min(probe.pollIntervalMs, Math.max(1, deadline - seen.elapsedMs)));
  }
}

type Answer = { status: number; ms: number; json: unknown } | { error: string };

/** One request through the edge, forced to the canary: status, time to the whole body, and its JSON if any. */
async function timedCall(url: string, init: { method: string; body?: string | undefined }): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: {
        ...FORCE_CANARY,
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: init.body,
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const text = await res.text();
    const ms = Math.round(performance.now() - started);
    return { status: res.status, ms, json: parseJson(text) };
  } catch (e) {
    // fetch says "fetch failed"; the cause says why (ECONNREFUSED, a timeout…).
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return { error: err.cause?.code ?? err.cause?.message ?? err.message };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A top-level string or number field of a JSON object, as a string. */
function field(json: unknown, name: string): string | undefined {
  if (!json || typeof json !== "object" || !Object.hasOwn(json, name)) return undefined;
  const v = (json as Record<string, unknown>)[name];
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
}

/** The command as its service's new revision would run: its build directory and environment. */
async function runReleaseCommand(
  ctx: Ctx,
  env: EnvironmentRow,
  release: ReleaseRow,
  probe: CommandProbe,
): Promise<Extract<ProbeObservation, { kind: "command" }>> {
  try {
    const dir = await buildDir(ctx, release);
    const addons = await addonEnv(ctx, env, release);
    const { env: processEnv } = await launchOf(ctx, env, release, dir, probe.service, addons);
    const run = `v${release.number}-${probe.name}-${ctx.now()}`;
    return await runCommandJob(ctx.driver.runtime, probe, {
      id: `${env.name}/probe/${run}`,
      argv: probe.command,
      cwd: dir,
      env: processEnv,
      nonce: `probe-${env.name}-${run}`,
      logFile: join(ctx.paths.env(env.name).dir, "probes", `${run}.log`),
    });
  } catch (e) {
    return { kind: "command", exitCode: null, timedOut: false, error: (e as Error).message };
  }
}

/** How often a running command probe is looked at. */
const COMMAND_POLL_MS = 50;

/**
 * Runs a command probe as a job of the target (the same way a release job runs) and waits for
 * its exit code; past the timeout it is stopped and fails.
 */
export async function runCommandJob(
  runtime: Pick<RuntimePort, "runJob" | "jobOutcome" | "stopJob" | "logs">,
  probe: CommandProbe,
  job: Parameters<RuntimePort["runJob"]>[0],
): Promise<Extract<ProbeObservation, { kind: "command" }>> {
  const pid = await runtime.runJob(job);
  const ref = { id: job.id, pid, nonce: job.nonce, logFile: job.logFile };
  const giveUpAt = performance.now() + probe.timeoutSeconds * 1000;
  for (;;) {
    const outcome = runtime.jobOutcome(ref);
    if (outcome.state === "exited") {
      const outputTail = await tail(runtime, job.logFile);
      return {
        kind: "command",
        exitCode: outcome.code,
        timedOut: false,
        ...(outputTail ? { outputTail } : {}),
      };
    }
    if (outcome.state !== "running")
      return { kind: "command", exitCode: null, timedOut: false, error: `the job is ${outcome.state}` };
    if (performance.now() > giveUpAt) {
      await runtime.stopJob(ref, 1000);
      return { kind: "command", exitCode: null, timedOut: true };
    }
    await sleep(COMMAND_POLL_MS);
  }
}

/** The last lines of a job's output, short enough for a reason. */
async function tail(runtime: Pick<RuntimePort, "logs">, logFile: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of runtime.logs(logFile, { lines: 3 })) lines.push(line);
  return lines.join(" | ").slice(-300);
}
