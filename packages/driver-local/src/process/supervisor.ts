import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type BackoffPolicy,
  type Clock,
  DEFAULT_BACKOFF,
  hasExited,
  nextRestart,
  type ProcessHandle,
  type RunRecord,
  SlipwayError,
  systemClock,
  trimHistory,
} from "@slipway/core";
import { PROBE_TIMEOUT_MS, probeHttp, probeTcp } from "./health";
import { isAlive, readStat } from "./proc";
import { killStragglers, terminateGroup } from "./signals";
import { type ProcessSpec, spawnService } from "./spawn";

export interface SupervisorOptions {
  /** Timestamps for the restart history that backoff decisions read. @default systemClock */
  clock?: Clock;
  /** @default DEFAULT_BACKOFF (1 s doubling to 30 s, reset after 60 s up, crash loop after 5) */
  backoff?: BackoffPolicy;
  /** How often liveness is checked; the only way to see an adopted process exit. @default 500 */
  pollMs?: number;
}

export type ProcessState = "running" | "backoff" | "stopping";

export interface ExitEvent {
  id: string;
  pid: number;
  /** Only known for our own children; null for adopted processes (not ours to wait for). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisorEvents {
  /** Every spawn, restarts included: store this handle, the old one no longer adopts. */
  started: [ProcessHandle];
  exit: [ExitEvent];
  restart: [{ id: string; attempt: number; delayMs: number }];
  crashloop: [{ id: string }];
}

export interface SupervisedProcess {
  id: string;
  /** During backoff, the pid of the run that crashed. */
  pid: number;
  restarts: number;
  state: ProcessState;
  crashloop: boolean;
}

interface Entry {
  spec: ProcessSpec;
  handle: ProcessHandle;
  /** Set only for processes this instance spawned; adopted ones are watched through /proc. */
  child?: ChildProcess;
  onChildExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  state: ProcessState;
  /** This run's exit has been handled (the 'exit' event and the poller can both see it). */
  exited: boolean;
  /** Polls that found our own child dead before its 'exit' event (which carries the code) came. */
  deadPolls: number;
  startedAt: number;
  /** Real time, for "alive for a second" regardless of the injected clock. */
  upSince: number;
  runs: RunRecord[];
  restarts: number;
  crashloop: boolean;
  /** Out of traffic and on its way out: if it exits, it is not restarted. */
  retired: boolean;
  timer?: NodeJS.Timeout;
  /** What the last readiness check saw, to explain a deploy that timed out on it. */
  lastCheck?: string;
  respawning?: Promise<void>;
  stopping?: Promise<void>;
}

const LIVENESS_MS = 1_000;
const HEALTH_RETRY_MS = 100;

/**
 * Keeps service processes running for the control plane. Processes are detached and write
 * their own logs, so they outlive us; a later Supervisor adopts them by handle.
 * Nothing here keeps Node alive: timers are unref'd and children are not waited on.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly #clock: Clock;
  readonly #policy: BackoffPolicy;
  readonly #pollMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #starting = new Set<string>();
  #poller?: NodeJS.Timeout;

  constructor(opts: SupervisorOptions = {}) {
    super();
    this.#clock = opts.clock ?? systemClock;
    this.#policy = opts.backoff ?? DEFAULT_BACKOFF;
    this.#pollMs = opts.pollMs ?? 500;
  }

  /** Spawns and supervises; throws SLW_PROCESS_FAILED when it cannot start, SLW_CONFLICT when already supervised. */
  async start(spec: ProcessSpec): Promise<ProcessHandle> {
    if (this.#entries.has(spec.id) || this.#starting.has(spec.id))
      throw new SlipwayError(
        "SLW_CONFLICT",
        `${spec.id} is already supervised`,
        "stop it first, or adopt it",
      );
    this.#starting.add(spec.id);
    try {
      const { child, handle } = await spawnService(spec);
      this.#supervise(this.#newEntry(spec, handle), child);
      return handle;
    } finally {
      this.#starting.delete(spec.id);
    }
  }

  /**
   * Supervises a process started by an earlier instance. False when the pid is gone, is a
   * zombie, belongs to another process now (start time differs) or does not lead its own
   * process group (we signal the group, so we must not adopt what we did not start).
   */
  adopt(spec: ProcessSpec, handle: ProcessHandle): boolean {
    const known = this.#entries.get(spec.id);
    if (known) return known.handle.pid === handle.pid && known.handle.startTime === handle.startTime;
    if (handle.id !== spec.id || this.#starting.has(spec.id)) return false;
    const stat = readStat(handle.pid);
    if (!stat || stat.startTime !== handle.startTime || hasExited(stat) || stat.pgrp !== handle.pid)
      return false;
    this.#supervise(this.#newEntry(spec, handle), undefined);
    return true;
  }

  /**
   * SIGTERM to the group, up to `graceMs` (default: the spec's drainSeconds), then SIGKILL;
   * resolves when it is gone. Never restarts it.
   */
  stop(id: string, graceMs?: number): Promise<void> {
    const e = this.#entries.get(id);
    if (!e) return Promise.resolve();
    e.stopping ??= this.#stop(e, graceMs ?? e.spec.drainSeconds * 1000).catch((err: unknown) => {
      e.stopping = undefined; // let a later stop() try again
      throw err;
    });
    return e.stopping;
  }

  async stopAll(): Promise<void> {
    const results = await Promise.allSettled([...this.#entries.keys()].map((id) => this.stop(id)));
    const failure = results.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
  }

  /** From now on an exit of this process ends its supervision instead of restarting it. */
  retire(id: string): void {
    const e = this.#entries.get(id);
    if (e) e.retired = true;
  }

  /**
   * http: an accepted status (2xx unless the spec's `expect` says otherwise) from the spec's url
   * while the process lives; tcp: a connection accepted on its port; liveness: the same process
   * alive for ~1 s.
   */
  async waitHealthy(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.#entries.get(id);
      if (!e || e.state === "stopping") return false;
      if (e.state === "running" && (await this.#healthyNow(e, deadline))) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(HEALTH_RETRY_MS, left));
    }
  }

  /** What the last readiness check of this process saw ("GET … answered 404 …", "… connection refused"). */
  lastHealthCheck(id: string): string | undefined {
    return this.#entries.get(id)?.lastCheck;
  }

  handle(id: string): ProcessHandle | undefined {
    return this.#entries.get(id)?.handle;
  }

  list(): SupervisedProcess[] {
    return [...this.#entries.values()].map((e) => ({
      id: e.spec.id,
      pid: e.handle.pid,
      restarts: e.restarts,
      state: e.state,
      crashloop: e.crashloop,
    }));
  }

  /** Stops supervising without signalling anything: the processes keep running for the next instance. */
  release(): void {
    for (const e of this.#entries.values()) this.#forget(e);
    this.#entries.clear();
    this.#stopPolling();
  }

  #newEntry(spec: ProcessSpec, handle: ProcessHandle): Entry {
    return {
      spec,
      handle,
      state: "running",
      exited: false,
      deadPolls: 0,
      startedAt: this.#clock.now(),
      upSince: Date.now(),
      runs: [],
      restarts: 0,
      crashloop: false,
      retired: false,
    };
  }

  /** Begins watching one run: our child's 'exit' event when we have one, the poller always. */
  #supervise(e: Entry, child: ChildProcess | undefined): void {
    this.#entries.set(e.spec.id, e);
    if (child) {
      const pid = e.handle.pid;
      e.child = child;
      e.onChildExit = (code, signal) => this.#exited(e, pid, code, signal);
      child.once("exit", e.onChildExit);
      this.emit("started", e.handle);
    }
    this.#poller ??= setInterval(() => this.#poll(), this.#pollMs).unref();
  }

  #poll(): void {
    for (const e of this.#entries.values()) {
      if (e.state !== "running" || e.exited) continue;
      if (isAlive(e.handle.pid, e.handle.startTime)) {
        e.deadPolls = 0;
      } else if (!e.child || ++e.deadPolls >= 2) {
        this.#exited(e, e.handle.pid, null, null);
      }
    }
  }

  #exited(e: Entry, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (e.exited || e.handle.pid !== pid || this.#entries.get(e.spec.id) !== e) return;
    e.exited = true;
    this.emit("exit", { id: e.spec.id, pid, code, signal });
    if (e.state !== "running") return; // stop() owns it
    killStragglers(pid);
    if (e.retired) {
      this.#forget(e);
      this.#entries.delete(e.spec.id);
      return;
    }
    this.#scheduleRestart(e);
  }

  #scheduleRestart(e: Entry): void {
    const now = this.#clock.now();
    e.runs = trimHistory([...e.runs, { startedAt: e.startedAt, endedAt: now }], this.#policy);
    const decision = nextRestart(e.runs, now, this.#policy);
    e.state = "backoff";
    this.emit("restart", { id: e.spec.id, attempt: decision.attempt, delayMs: decision.delayMs });
    if (decision.crashloop && !e.crashloop) this.emit("crashloop", { id: e.spec.id });
    e.crashloop = decision.crashloop;
    e.timer = setTimeout(() => {
      e.respawning = this.#respawn(e);
    }, decision.delayMs).unref();
  }

  async #respawn(e: Entry): Promise<void> {
    e.timer = undefined;
    try {
      const { child, handle } = await spawnService(e.spec);
      e.handle = handle;
      e.restarts++;
      if (this.#entries.get(e.spec.id) !== e) return; // released meanwhile: it runs on, unsupervised
      e.state = "running";
      e.exited = false;
      e.deadPolls = 0;
      e.startedAt = this.#clock.now();
      e.upSince = Date.now();
      this.#supervise(e, child);
    } catch {
      // The executable or cwd vanished: a crash with no uptime, so the backoff grows.
      e.startedAt = this.#clock.now();
      if (this.#entries.get(e.spec.id) === e) this.#scheduleRestart(e);
    } finally {
      e.respawning = undefined;
    }
  }

  async #stop(e: Entry, graceMs: number): Promise<void> {
    clearTimeout(e.timer);
    await e.respawning;
    e.state = "stopping";
    if (!e.exited) {
      await terminateGroup(e.handle.pid, graceMs);
      await this.#confirmExit(e);
    }
    this.#forget(e);
    this.#entries.delete(e.spec.id);
    if (this.#entries.size === 0) this.#stopPolling();
  }

  /** The group is gone; wait for our child's 'exit' event so its code is reported, else report now. */
  async #confirmExit(e: Entry): Promise<void> {
    const child = e.child;
    if (child && child.exitCode === null && child.signalCode === null && !e.exited) {
      await Promise.race([new Promise((resolve) => child.once("exit", resolve)), sleep(this.#pollMs)]);
    }
    this.#exited(e, e.handle.pid, null, null);
  }

  #forget(e: Entry): void {
    clearTimeout(e.timer);
    if (e.child && e.onChildExit) e.child.off("exit", e.onChildExit);
  }

  #stopPolling(): void {
    clearInterval(this.#poller);
    this.#poller = undefined;
  }

  async #healthyNow(e: Entry, deadline: number): Promise<boolean> {
    const { pid, startTime } = e.handle;
    if (!isAlive(pid, startTime)) {
      e.lastCheck = "the process is not running (see its log)";
      return false;
    }
    const health = e.spec.health;
    if (health.kind === "liveness") {
      const up = Date.now() - e.upSince >= LIVENESS_MS;
      e.lastCheck = up ? "the process is running" : "the process has been up less than a second";
      return up;
    }
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const timeout = Math.min(PROBE_TIMEOUT_MS, left);
    const result =
      health.kind === "tcp"
        ? await probeTcp(health.port, timeout)
        : await probeHttp(health.url, timeout, health.expect);
    e.lastCheck = result.detail;
    return result.ok;
  }
}
