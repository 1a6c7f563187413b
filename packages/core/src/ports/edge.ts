import type { EdgeConfig, EdgeServer, ServerStats } from "./edge-types";

/**
 * One environment's public entry point: routes to backends (one per web service), each with
 * the servers of every revision that runs, weighted. Changing servers or weights drops no
 * connection.
 */
export interface EdgePort {
  /** Starts it, or adopts the one already running, and converges it to `config`. */
  ensure(config: EdgeConfig): Promise<{ pid: number; adopted: boolean }>;
  /** Sets a backend's servers, weights and states, at run time (no restart). */
  setServers(backend: string, servers: EdgeServer[]): Promise<void>;
  /**
   * Per-server counters (exact) and latency percentiles since the edge started; given a
   * latency budget, also how many samples were slower than it.
   */
  stats(opts?: { latencyBudgetMs?: number }): Promise<ServerStats[]>;
  /** Connections open to each server of a backend, by server name. */
  sessions(backend: string): Promise<Record<string, number>>;
  isRunning(): Promise<boolean>;
  stop(): Promise<void>;
  /** Lets go without stopping it (the control plane exits; traffic keeps flowing). */
  detach(): Promise<void>;
}

/** What names one environment's edge to the driver. */
export interface EdgeTarget {
  env: string;
  /** Where the edge sends its request log (per-request latency), when it has a receiver. */
  logPort?: number;
}
