import { planCron } from "@slipway/core";
import type { CronRunRow, Queries } from "@slipway/store";

/** One cron service of one environment's live release: what may run now. */
export interface CronTarget {
  environmentId: string;
  environment: string;
  releaseId: string;
  release: number;
  service: string;
  schedule: string;
}

/** What became of a run, as its runner left it. */
export type RunOutcome =
  | { state: "running"; pid: number }
  | { state: "exited"; code: number }
  /** Claimed, but its runner never got going (we died in between): safe to start it now. */
  | { state: "not-started" }
  /** The runner started and vanished without an exit code: the command may have run. */
  | { state: "unknown" };

/** The narrow ports the scheduler acts through; the control plane wires them (./wiring.ts). */
export interface CronPorts {
  runs: Queries["cronRuns"];
  /** Cron services of every active environment's live release. */
  targets(): Promise<CronTarget[]>;
  /** Starts the run detached (it outlives us) with its release's build and config; returns its runner's pid. */
  launch(run: CronRunRow): Promise<number>;
  /** Reads a run's outcome: its exit code file, else its runner (found by pid or, without one, by run id). */
  outcome(run: CronRunRow): RunOutcome;
  event(e: { kind: string; subject: string; message: string; data?: Record<string, unknown> }): Promise<void>;
  now(): number;
}

/**
 * Runs cron services on schedule, one tick at a time: observe the runs in flight, then for each
 * cron service decide (core's pure `planCron`) and act. A slot is claimed in the store before
 * its run is spawned, so a control plane killed at any point neither runs a slot twice nor
 * loses a run; the next one finds the row and the runner (see `outcome`).
 */
export class CronScheduler {
  /** When this scheduler first saw a service without any recorded run: its slots count from then. */
  readonly #firstSeen = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #ticking?: Promise<void>;

  constructor(private readonly ports: CronPorts) {}

  /** Ticks every `everyMs` until stopped; a tick never overlaps the previous one. */
  start(everyMs = 1_000, onError: (e: unknown) => void = () => {}): void {
    this.#timer ??= setInterval(() => {
      this.#ticking ??= this.tick()
        .catch(onError)
        .finally(() => (this.#ticking = undefined));
    }, everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  async tick(): Promise<void> {
    const inFlight = await this.#observeRuns();
    for (const target of await this.ports.targets()) await this.#schedule(target, inFlight);
  }

  /** Records the outcome of runs that finished; returns the services still running, by key. */
  async #observeRuns(): Promise<Set<string>> {
    const running = new Set<string>();
    for (const run of await this.ports.runs.unfinished()) {
      const o = this.ports.outcome(run);
      if (o.state === "running") {
        if (run.state === "starting") await this.ports.runs.started(run.id, o.pid);
        running.add(key(run.environmentId, run.service));
        continue;
      }
      if (o.state === "not-started") {
        if (await this.#launch(run)) running.add(key(run.environmentId, run.service));
        continue;
      }
      const state = o.state === "unknown" ? "unknown" : o.code === 0 ? "succeeded" : "failed";
      const code = o.state === "exited" ? o.code : null;
      if (!(await this.ports.runs.finish(run.id, state, code, this.#iso()))) continue;
      const took = run.startedAt
        ? ` in ${((this.ports.now() - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`
        : "";
      await this.ports.event({
        kind: `cron.run.${state}`,
        subject: run.id,
        message:
          state === "unknown"
            ? `${run.service}: the run for ${run.slot} left no exit code (its runner vanished); not re-running it`
            : `${run.service}: the run for ${run.slot} exited with ${code}${took}`,
        data: { service: run.service, slot: run.slot, exitCode: code },
      });
    }
    return running;
  }

  async #schedule(t: CronTarget, running: Set<string>): Promise<void> {
    const k = key(t.environmentId, t.service);
    const latest = await this.ports.runs.latest(t.environmentId, t.service);
    if (!latest && !this.#firstSeen.has(k)) this.#firstSeen.set(k, this.ports.now());
    const since = latest ? Date.parse(latest.slot) : this.#firstSeen.get(k)!;
    const decision = planCron({
      schedule: t.schedule,
      since: new Date(since),
      running: running.has(k),
      now: new Date(this.ports.now()),
    });
    if (decision.do === "none") return;
    const slot = decision.slot.toISOString();
    const id = `${t.environment}/cron/${t.service}/${slot}`;
    const row = { id, environmentId: t.environmentId, releaseId: t.releaseId, service: t.service, slot };
    if (
      !(await this.ports.runs.claim({
        ...row,
        state: decision.do === "run" ? "starting" : "skipped",
        at: this.#iso(),
      }))
    )
      return; // claimed already: never twice
    if (decision.do === "skip") {
      await this.ports.event({
        kind: "cron.run.skipped",
        subject: id,
        message: `${t.service}: skipped the run for ${slot}: the previous run is still going`,
        data: { service: t.service, slot },
      });
      return;
    }
    await this.ports.event({
      kind: "cron.run.started",
      subject: id,
      message: `${t.service}: run for ${slot} starting (v${t.release})`,
      data: { service: t.service, slot, release: t.release },
    });
    if (await this.#launch((await this.ports.runs.get(id))!)) running.add(k);
  }

  /** Spawns a claimed run and records its pid; a run that cannot start is a failed run. */
  async #launch(run: CronRunRow): Promise<boolean> {
    try {
      await this.ports.runs.started(run.id, await this.ports.launch(run));
      return true;
    } catch (e) {
      await this.ports.runs.finish(run.id, "failed", null, this.#iso());
      await this.ports.event({
        kind: "cron.run.failed",
        subject: run.id,
        message: `${run.service}: the run for ${run.slot} could not start: ${(e as Error).message}`,
        data: { service: run.service, slot: run.slot },
      });
      return false;
    }
  }

  #iso(): string {
    return new Date(this.ports.now()).toISOString();
  }
}

const key = (environmentId: string, service: string) => `${environmentId}\u0000${service}`;
