/**
 * What a target needs to run one service process. Pure data: the control plane builds it
 * from the release's config. Who the process runs as is the target's business (the local
 * driver runs it as the app user when it is root), so it is not said here.
 */
export interface ProcessSpec {
  /** Unique and opaque, e.g. "local/v3/api/1"; may contain "/". */
  id: string;
  /** Spawned without a shell; argv[0] is resolved on the PATH of `env`. */
  argv: string[];
  cwd: string;
  /** The complete environment: ours is not inherited; without a PATH, the system's (SYSTEM_PATH). */
  env: Record<string, string>;
  /** stdout and stderr are appended here by the process itself, so logs flow while we are down. */
  logFile: string;
  /** SIGTERM, wait up to this many seconds (fractions allowed), then SIGKILL. */
  drainSeconds: number;
  health: ProcessHealth;
}

/**
 * Enough to find a running process again after a control-plane restart. `startTime` is
 * field 22 of /proc/<pid>/stat: a reused pid has a different one, so we never adopt or
 * signal a stranger.
 */
export interface ProcessHandle {
  id: string;
  pid: number;
  startTime: string;
}

/**
 * How the supervisor decides a process is ready: an HTTP answer with an accepted status
 * (2xx unless `expect` says otherwise), a TCP connection accepted, or staying alive.
 */
export type ProcessHealth =
  | { kind: "http"; url: string; expect?: [number, number][] }
  | { kind: "tcp"; port: number }
  | { kind: "liveness" };
