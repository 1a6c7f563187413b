/**
 * The edge's contract: one public HTTP entry point per environment, rendered from the stack
 * and changed at run time through HAProxy's runtime API.
 */

/**
 * A request with this header set to "1" (or the cookie `slipway-canary=1`) reaches a server
 * marked `canary`, whatever the weights: how testers and the rollout's probes reach the canary.
 */
export const FORCE_CANARY_HEADER = "X-Slipway-Canary";
export const FORCE_CANARY_COOKIE = "slipway-canary";

/**
 * What a server's traffic looks like:
 * - `ready`: load-balanced by weight; cookie holders stay.
 * - `drain`: no new requests, cookie holders included (they are sent elsewhere); in-flight
 *   requests finish; still health-checked.
 * - `maint`: no traffic and no health checks; in-flight requests finish.
 */
export type EdgeServerState = "ready" | "drain" | "maint";

/** One process of one revision, listening on 127.0.0.1. */
export interface EdgeServer {
  /** Unique in its backend; usually the revision, e.g. "web-r12". Also the log/stats key. */
  name: string;
  port: number;
  /** 0-256; 0 keeps the server up but gives it no share of new traffic. */
  weight: number;
  state: EdgeServerState;
  /**
   * The new revision of a rollout in progress (canary or blue/green preview): requests with
   * the force-canary header reach it whatever the weights, and its sticky cookie names it.
   */
  canary?: boolean;
}

export interface EdgeBackend {
  /** The service name; HAProxy's backend name and the runtime API's `<backend>/<server>` prefix. */
  name: string;
  /**
   * Stable private listener on 127.0.0.1 that reaches this backend: how services call each
   * other (CORE_URL) without the public edge. A backend no route points at is private: only
   * this listener reaches it.
   */
  internalPort?: number;
  /** When set, HAProxy checks every server this way and takes it out after 2 failed checks in a row. */
  health?: EdgeHealth;
  servers: EdgeServer[];
}

/**
 * A backend's health check: `GET path` answering a status in `expectStatus` (HAProxy's list,
 * e.g. "200-299" or "200,401"), or a plain TCP connect; every `intervalSeconds`.
 */
export type EdgeHealth =
  | { kind: "http"; path: string; expectStatus: string; intervalSeconds: number }
  | { kind: "tcp"; intervalSeconds: number };

export interface EdgeRoute {
  /** Host header to match (port ignored, case-insensitive); any host when omitted. */
  host?: string;
  /** Path prefix on segment boundaries ("/api" matches "/api" and "/api/x", not "/apix"); the longest wins. */
  path: string;
  backend: string;
}

export interface EdgeConfig {
  env: string;
  publicPort: number;
  routes: EdgeRoute[];
  backends: EdgeBackend[];
}

export interface StatusCounts {
  "1xx": number;
  "2xx": number;
  "3xx": number;
  "4xx": number;
  "5xx": number;
  other: number;
}

/** Milliseconds, from HAProxy's `%Ta` (whole ms: HAProxy 2.6 logs no finer). */
export interface LatencySummary {
  /**
   * Log lines behind the percentiles: fewer than requests once a backend serves more than its
   * log budget per second (or when logs are sampled 1 in N).
   */
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Samples slower than the budget `stats` was asked about (what a latency judgement counts). */
  overBudget?: number;
}

export interface ServerStats {
  backend: string;
  server: string;
  /** HAProxy's own word: UP, DOWN, DRAIN, MAINT, "UP 1/2"… */
  status: string;
  /** The weight set by us (HAProxy's uweight), 0-256. */
  weight: number;
  /** Requests in flight right now. */
  sessions: number;
  /** Responses counted by HAProxy (exact, never sampled), by status class. */
  responses: StatusCounts;
  requests: number;
  /** From the log stream; absent without a log receiver or before the first logged request. */
  latency?: LatencySummary;
}
