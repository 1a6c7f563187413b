import type { ProcessHandle, ProcessSpec } from "../process/types";

/** Where a process of a previous control plane may still be: its recorded handle, or its nonce when the pid never got recorded. */
export type ProcessTrace = { pid: number; startTime: string } | { nonce: string };

/** A one-shot process: a release job, a cron run, a `slipway run`. It outlives the control plane. */
export interface JobSpec {
  /** Unique and opaque, e.g. "local/v3/migrate". */
  id: string;
  argv: string[];
  cwd: string;
  /** The complete environment (see ProcessSpec.env). */
  env: Record<string, string>;
  /** Carried in the job's environment (SLIPWAY_PROCESS_NONCE) so that it can be found before its pid is recorded. */
  nonce: string;
  /** Where its output goes. The target keeps the job's exit code beside it, named by `id`. */
  logFile: string;
}

/**
 * What became of a job: still going; finished with an exit code; never got going (safe to
 * start again); or gone without saying (its runner vanished: the command may have run).
 */
export type JobOutcome =
  | { state: "running"; pid: number }
  | { state: "exited"; code: number }
  | { state: "not-started" }
  | { state: "unknown" };

/** A job as the control plane recorded it: its pid is null when we died before recording it. */
export interface JobRef {
  id: string;
  pid: number | null;
  nonce: string;
  logFile: string;
}

/** A supervised process as the runtime sees it now, for status. */
export interface RuntimeProcess {
  id: string;
  pid: number;
  /** "running", "backoff" (waiting to restart), "stopping". */
  state: string;
  restarts: number;
}

/** What the runtime tells the control plane on its own, to be recorded in the store. */
export type RuntimeEvent =
  | { kind: "started"; handle: ProcessHandle }
  | { kind: "restart"; id: string; attempt: number; delayMs: number }
  | { kind: "crashloop"; id: string };

/**
 * Runs the processes of a release on a target and tells what it sees of them. Every method is
 * safe to repeat: the rollout loop calls them again after a crash.
 */
export interface RuntimePort {
  /** Spawns one long-running process and supervises it (restarts with backoff); resolves once spawned. */
  start(spec: ProcessSpec): Promise<ProcessHandle>;
  /** Takes over a process a previous control plane started; undefined when nothing of it runs. */
  adopt(spec: ProcessSpec, trace: ProcessTrace): ProcessHandle | undefined;
  /** Whether it passes its readiness check, waiting at most `waitMs` for it. */
  waitHealthy(id: string, waitMs: number): Promise<boolean>;
  /** What the last readiness check saw, to say why a deploy timed out. */
  lastHealthCheck(id: string): string | undefined;
  /** Whether this runtime supervises the process now. */
  has(id: string): boolean;
  /** Every process it supervises now. */
  list(): RuntimeProcess[];
  /** Spawns (restarts included), restarts and crash loops, as they happen. */
  onEvent(listener: (e: RuntimeEvent) => void): void;
  /** It left traffic: if it exits from now on it is not restarted. */
  retire(id: string): void;
  /** Stops it (SIGTERM, `graceMs` or its drain time, SIGKILL); resolves once it is gone. */
  stop(id: string, graceMs?: number): Promise<void>;
  /** Lets go of every process without stopping any (the control plane exits; they outlive it). */
  detach(): void;
  /** A free port for a web process (or a listener of ours) to listen on. */
  allocatePort(): Promise<number>;
  /** Whether nothing listens on this port now (a public port asked for). */
  isPortFree(port: number): Promise<boolean>;
  /** Makes a service's persistent directory exist, usable by whoever runs its processes. Idempotent. */
  ensureVolume(dir: string): Promise<void>;
  /**
   * Who a one-off process attached to the user's terminal runs as (`slipway run` spawns it
   * itself on this machine); null: as whoever runs the CLI.
   */
  attachUser(): { uid: number; gid: number } | null;

  /** Starts a one-shot process detached; resolves with its pid. */
  runJob(spec: JobSpec): Promise<number>;
  /** What became of a job, from what was recorded of it (no pid: it is looked for by nonce). */
  jobOutcome(job: JobRef): JobOutcome;
  /** Stops a job and everything it started (SIGTERM, `graceMs`, SIGKILL); resolves once it is gone. */
  stopJob(job: JobRef, graceMs: number): Promise<void>;

  /** A process's or a job's output, last `lines` lines, then new ones while `follow`. */
  logs(
    logFile: string,
    opts: { lines?: number; follow?: boolean; signal?: AbortSignal },
  ): AsyncIterable<string>;
}
