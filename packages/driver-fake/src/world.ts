import type {
  BackupInfo as BaseBackupInfo,
  Clock,
  EdgeConfig,
  EdgeServer,
  JobSpec,
  ProcessSpec,
  ServerStats,
} from "@slipway/core";

/**
 * The machine the fake driver "runs" things on: every process, job, edge, add-on and build
 * lives here, not in a driver instance, so a fresh driver over the same world sees what an
 * earlier one started (a restarted control plane adopting what outlived it). Nothing here
 * runs on its own: what a process or job does is decided by the test (`whenProcess`,
 * `whenJob`, `failBuilds`) and evaluated against the injected clock, so there are no timers.
 */
export class FakeWorld {
  readonly clock: FakeClock;
  readonly processes: FakeProcess[] = [];
  readonly jobs: FakeJob[] = [];
  readonly edges = new Map<string, FakeEdgeState>();
  readonly addons = new Map<string, { pid: number; running: boolean }>();
  /** Backup repositories by location (see backups.ts). */
  readonly repositories = new Map<
    string,
    {
      key: string;
      backups: (BaseBackupInfo & { startLsn: string; endLsn: string })[];
      /** A redis add-on's snapshots. */
      snapshots: { id: string; takenAt: number; bytes: number }[];
    }
  >();
  /** Repositories' local working directories a WAL receiver streams into (unprotect stops it). */
  readonly streaming = new Set<string>();
  /** Heartbeats committed into an instance, by its data directory. */
  readonly heartbeats = new Map<string, number[]>();
  /** Verification queries that fail in a restored copy. */
  readonly failingQueries = new Set<string>();
  /** What a restore reports as its RTO. */
  restoreMs = 1_000;
  /** Passwords each postgres add-on's login roles accept (`env/name` → role → password), after rotations. */
  readonly logins = new Map<string, Map<string, string>>();
  /** Content of a source tree by directory (see `setTree`); a directory never set is its own content. */
  readonly trees = new Map<string, string>();
  /** Ids of builds made so far (a second build of the same tree is cached). */
  readonly builds = new Set<string>();
  /** Output of the build that fails; undefined: builds succeed. */
  buildFailure: string | undefined;
  /** Every call that changes something, in order ("start prod/v1/web/1", "stopJob …"): what tests assert on. */
  readonly calls: string[] = [];
  private readonly failures = new Map<string, Error>();
  readonly logs = new Map<string, string[]>();
  private readonly processRules: [string, ProcessBehaviour][] = [];
  private readonly jobRules: [string, JobBehaviour][] = [];
  private nextPid = 1000;
  private nextPort = 40_000;

  constructor(opts: { clock?: FakeClock } = {}) {
    this.clock = opts.clock ?? new FakeClock();
  }

  /** How processes whose id starts with `idPrefix` behave from their next start on; the latest matching rule wins. */
  whenProcess(idPrefix: string, behaviour: ProcessBehaviour): this {
    this.processRules.unshift([idPrefix, behaviour]);
    return this;
  }

  /** How jobs whose id starts with `idPrefix` behave from their next run on; the latest matching rule wins. */
  whenJob(idPrefix: string, behaviour: JobBehaviour): this {
    this.jobRules.unshift([idPrefix, behaviour]);
    return this;
  }

  /** Builds fail with this output until `failBuilds(undefined)`. */
  failBuilds(output: string | undefined): this {
    this.buildFailure = output;
    return this;
  }

  /** The next call named `call` (as `calls` records it, e.g. "start prod/v2/web/1") throws `error` instead. */
  failOn(call: string, error: Error): this {
    this.failures.set(call, error);
    return this;
  }

  setTree(dir: string, content: string): this {
    this.trees.set(dir, content);
    return this;
  }

  /** The process dies at once and for good (a kill -9, a reboot): nobody restarts it. */
  kill(id: string): void {
    for (const p of this.processes) if (p.spec.id === id && !p.stoppedAt) p.stoppedAt = this.clock.now();
  }

  /** Live processes (whoever supervises them), by id: "exactly the wanted processes run". */
  running(): string[] {
    return this.processes.filter((p) => this.alive(p)).map((p) => p.spec.id);
  }

  /** How many times a job with this id was started. */
  jobRuns(id: string): number {
    return this.jobs.filter((j) => j.spec.id === id).length;
  }

  /** The edge of one environment, as tests inspect it (servers by backend, injected counters). */
  edge(env: string): FakeEdgeState {
    let e = this.edges.get(env);
    if (!e) {
      e = new FakeEdgeState();
      this.edges.set(env, e);
    }
    return e;
  }

  // ---- used by the fake driver ----

  /** Records a call, or throws the failure planted for it (once). */
  call(name: string): void {
    const failure = this.failures.get(name);
    if (failure) {
      this.failures.delete(name);
      throw failure;
    }
    this.calls.push(name);
  }

  pid(): number {
    return this.nextPid++;
  }

  port(): number {
    return this.nextPort++;
  }

  spawn(spec: ProcessSpec, owner: object): FakeProcess {
    const startedAt = this.clock.now();
    const pid = this.pid();
    const p: FakeProcess = {
      spec,
      pid,
      startTime: `${startedAt}.${pid}`,
      startedAt,
      behaviour: ruleFor(this.processRules, spec.id) ?? {},
      retired: false,
      owner,
    };
    this.processes.push(p);
    return p;
  }

  runJob(spec: JobSpec): FakeJob {
    const job: FakeJob = {
      spec,
      pid: this.pid(),
      startedAt: this.clock.now(),
      behaviour: ruleFor(this.jobRules, spec.id) ?? {},
    };
    this.jobs.push(job);
    return job;
  }

  /** Alive now: not stopped or killed, and not exited for good (an exit is for good once retired or unsupervised). */
  alive(p: FakeProcess): boolean {
    if (p.stoppedAt !== undefined) return false;
    const exitAfter = p.behaviour.exitAfterMs ?? Number.POSITIVE_INFINITY;
    const exited = this.clock.now() - p.startedAt >= exitAfter;
    return !exited || (!p.retired && p.owner !== undefined);
  }

  /** Restarts so far: a process that exits every `exitAfterMs` and is supervised is restarted at once (a crash loop). */
  restarts(p: FakeProcess): number {
    const exitAfter = p.behaviour.exitAfterMs ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(exitAfter) || !this.alive(p)) return 0;
    return Math.floor((this.clock.now() - p.startedAt) / Math.max(exitAfter, 1));
  }

  healthy(p: FakeProcess): boolean {
    if (!this.alive(p)) return false;
    const exitAfter = p.behaviour.exitAfterMs ?? Number.POSITIVE_INFINITY;
    const sinceStart = this.clock.now() - p.startedAt;
    const sinceRun = Number.isFinite(exitAfter) ? sinceStart % Math.max(exitAfter, 1) : sinceStart;
    const healthyAfter = p.behaviour.healthyAfterMs ?? 0;
    // A run that exits before it is healthy never is.
    return sinceRun >= healthyAfter && healthyAfter < exitAfter;
  }

  jobState(j: FakeJob): { state: "running" } | { state: "exited"; code: number } | { state: "gone" } {
    if (j.stoppedAt !== undefined) return { state: "exited", code: 143 };
    if (this.clock.now() - j.startedAt < (j.behaviour.runsForMs ?? 0)) return { state: "running" };
    const exit = j.behaviour.exit ?? 0;
    return exit === "vanish" ? { state: "gone" } : { state: "exited", code: exit };
  }
}

/** Time as the test says: starts at `start` and moves only by `advance`. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface ProcessBehaviour {
  /** Healthy this long after each start; Infinity: never. @default 0 */
  healthyAfterMs?: number;
  /** Exits this long after each start and, while supervised and not retired, is restarted at once. @default Infinity */
  exitAfterMs?: number;
}

export interface JobBehaviour {
  /** Its exit code, or "vanish": it ends without a trace of its outcome. @default 0 */
  exit?: number | "vanish";
  /** It runs this long. @default 0 */
  runsForMs?: number;
}

export interface FakeProcess {
  spec: ProcessSpec;
  pid: number;
  startTime: string;
  startedAt: number;
  behaviour: ProcessBehaviour;
  retired: boolean;
  /** The driver instance that supervises it; undefined once it let go (detach, a crash). */
  owner: object | undefined;
  stoppedAt?: number;
}

export interface FakeJob {
  spec: JobSpec;
  pid: number;
  startedAt: number;
  behaviour: JobBehaviour;
  stoppedAt?: number;
}

/** One environment's edge: the config it was given, the servers set per backend, counters injected by tests. */
export class FakeEdgeState {
  pid: number | undefined;
  config: EdgeConfig | undefined;
  readonly servers = new Map<string, EdgeServer[]>();
  readonly injected = new Map<string, Partial<ServerStats>>();

  /** Counters the edge reports for one server from now on (merged over zeros). */
  inject(backend: string, server: string, stats: Partial<ServerStats>): void {
    this.injected.set(`${backend}/${server}`, stats);
  }

  /** Weights by server name, of servers in `ready` state: where new traffic goes. */
  weights(backend: string): Record<string, number> {
    return Object.fromEntries(
      (this.servers.get(backend) ?? []).filter((s) => s.state === "ready").map((s) => [s.name, s.weight]),
    );
  }
}

function ruleFor<B>(rules: [string, B][], id: string): B | undefined {
  return rules.find(([prefix]) => id.startsWith(prefix))?.[1];
}
