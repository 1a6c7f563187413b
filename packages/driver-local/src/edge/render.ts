import {
  FORCE_CANARY_COOKIE,
  FORCE_CANARY_HEADER,
  HAPROXY_RETRIES_AND_TIMEOUTS,
  routeRules,
} from "@slipway/core";
import type { EdgeBackend, EdgeConfig, EdgeHealth, EdgeServer } from "./types";
import {
  assertFilePath,
  assertHex,
  assertInteger,
  assertIPv4,
  assertPort,
  assertSocketPath,
  assertValidEdgeConfig,
} from "./validate";

export interface RenderOptions {
  /** Runtime API socket (admin level); also hands listeners to the next process on reload. */
  socketPath: string;
  /** Per backend, the file listing cookie values to ignore (drained servers). Must exist, may be empty. */
  drainAclPath: (backend: string) => string;
  /**
   * Per backend, the map file from the backend's name to the cookie of its canary server
   * (empty: no canary). Must exist, may be empty.
   */
  canaryMapPath: (backend: string) => string;
  /** Secret behind HAProxy's dynamic cookies (cookie = hash(key, ip, port)), hex. */
  cookieKey: string;
  /** UDP port on 127.0.0.1 that receives one log line per logged request. No request logs without it. */
  logPort?: number;
  /** Send 1 request log in N. @default 1 */
  logSampleEvery?: number;
  /**
   * Per backend, about how many requests a second are logged: all of them while the backend
   * serves fewer, a random share of this size above (exact counters come from `show stat`).
   * `Infinity` logs every request. @default 1000
   */
  logBudgetPerSecond?: number;
  /** Prometheus exporter (`/metrics`) and stats page (`/stats`) on 127.0.0.1. */
  metricsPort?: number;
  /** When we are root: HAProxy binds and opens its socket as root, then drops to this uid/gid. */
  runAs?: { uid: number; gid: number };
  /** Where the public frontend listens; @see PublicBind. @default 127.0.0.1, plain HTTP */
  publicBind?: PublicBind;
}

/** The public frontend on a server (`slipway server`): its address, and TLS terminated here. */
export interface PublicBind {
  /** An IPv4 address of this machine, or 0.0.0.0 for all of them. */
  address: string;
  /** A PEM file holding the certificate chain and then its private key (HAProxy's `crt`). */
  tlsPem?: string;
}

/** The one log line per request that `EdgeLogReceiver` parses: backend, server, status, active ms. */
export const LOG_FORMAT = "slw1 %b %s %ST %Ta";

/** @see RenderOptions.logBudgetPerSecond */
const DEFAULT_LOG_BUDGET = 1000;

/**
 * Shared by the config file and `add server`, so a server added at run time and the same
 * server after a restart are checked alike (`add server` ignores `default-server`). Checks run
 * every `intervalSeconds` (the spec's health.intervalSeconds), and every second at most while
 * a server's state is changing.
 */
function checkArgs(health: EdgeHealth): string[] {
  const inter = duration(health.intervalSeconds);
  const fast = duration(Math.min(1, health.intervalSeconds));
  return ["check", "inter", inter, "fastinter", fast, "fall", "2", "rise", "2"];
}

/** HAProxy time: whole seconds as "2s", anything finer in milliseconds. */
function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** Arguments after `server <name>` / `add server <be>/<name>`: address, weight, checks. */
export function serverArgs(
  server: Pick<EdgeServer, "port" | "weight">,
  health: EdgeHealth | undefined,
): string[] {
  return [`127.0.0.1:${server.port}`, "weight", String(server.weight), ...(health ? checkArgs(health) : [])];
}

/** Per-backend cookie name: backends sharing a host must not overwrite each other's cookie. */
export function cookieName(backend: string): string {
  return `SLW-${backend}`;
}

/**
 * haproxy.cfg for one environment. Pure: same input, same text. Throws SLW_EDGE_FAILED when a
 * name, host, path or file path could change the file's meaning.
 */
export function renderHaproxyConfig(config: EdgeConfig, opts: RenderOptions): string {
  assertValidEdgeConfig(config);
  assertRenderOptions(opts, config);
  return [
    `# Rendered by Slipway for environment ${config.env}. Do not edit: every change is overwritten.`,
    ...renderGlobal(opts),
    ...renderDefaults(opts),
    ...renderPublicFrontend(config, opts.publicBind),
    ...config.backends.flatMap(renderInternalFrontend),
    ...(opts.metricsPort !== undefined ? renderMetricsFrontend(opts.metricsPort) : []),
    ...renderNotFound(),
    ...config.backends.flatMap((b) => renderBackend(b, opts)),
  ].join("\n");
}

function assertRenderOptions(opts: RenderOptions, config: EdgeConfig): void {
  assertSocketPath(opts.socketPath);
  for (const b of config.backends) {
    assertFilePath("drain ACL path", opts.drainAclPath(b.name));
    assertFilePath("canary map path", opts.canaryMapPath(b.name));
  }
  assertHex("cookie key", opts.cookieKey);
  if (opts.logPort !== undefined) assertPort("log port", opts.logPort);
  if (opts.metricsPort !== undefined) assertPort("metrics port", opts.metricsPort);
  if (opts.publicBind) assertIPv4("public bind address", opts.publicBind.address);
  if (opts.publicBind?.tlsPem !== undefined) assertFilePath("TLS certificate", opts.publicBind.tlsPem);
  assertInteger("log sample rate (1 in N)", opts.logSampleEvery ?? 1, 1, 1_000_000);
  const budget = opts.logBudgetPerSecond ?? DEFAULT_LOG_BUDGET;
  if (budget !== Number.POSITIVE_INFINITY) assertInteger("log budget per second", budget, 1, 1_000_000);
}

function renderGlobal(opts: RenderOptions): string[] {
  const every = opts.logSampleEvery ?? 1;
  const sample = every > 1 ? ` sample 1:${every}` : "";
  return [
    "global",
    // expose-fd lets a reload (-x) take over the listening sockets without refusing a connection.
    `  stats socket '${opts.socketPath}' mode 600 level admin expose-fd listeners`,
    "  stats timeout 30s",
    // After a reload the old process finishes its requests; WebSockets would keep it forever.
    "  hard-stop-after 30s",
    ...(opts.runAs ? [`  uid ${opts.runAs.uid}`, `  gid ${opts.runAs.gid}`] : []),
    ...(opts.logPort !== undefined
      ? [`  log 127.0.0.1:${opts.logPort} len 1024 format raw${sample} daemon`]
      : []),
    "",
  ];
}

function renderDefaults(opts: RenderOptions): string[] {
  return [
    "defaults",
    "  mode http",
    ...(opts.logPort !== undefined
      ? ["  log global", "  option dontlognull", `  log-format "${LOG_FORMAT}"`]
      : []),
    "  option http-keep-alive",
    // On a reload the old process answers the next request with "Connection: close" instead
    // of closing idle client connections under a client that may be reusing them right now.
    "  option idle-close-on-response",
    "  option forwardfor",
    ...HAPROXY_RETRIES_AND_TIMEOUTS,
    "",
  ];
}

function renderPublicFrontend(config: EdgeConfig, bind: PublicBind | undefined): string[] {
  const address = `${bind?.address ?? "127.0.0.1"}:${config.publicPort}`;
  const lines = [
    "frontend _public",
    bind?.tlsPem ? `  bind ${address} ssl crt '${bind.tlsPem}' alpn h2,http/1.1` : `  bind ${address}`,
    // The services see how the client came in (their own hop is plain HTTP on loopback).
    ...(bind?.tlsPem ? ["  http-request set-header X-Forwarded-Proto https"] : []),
  ];
  lines.push(...routeRules(config.routes, (route) => route.backend));
  // A backend no route names (a private service) is never reachable from here.
  return [...lines, "  default_backend _notfound", ""];
}

function renderInternalFrontend(backend: EdgeBackend): string[] {
  if (backend.internalPort === undefined) return [];
  return [
    `frontend _internal-${backend.name}`,
    `  bind 127.0.0.1:${backend.internalPort}`,
    `  default_backend ${backend.name}`,
    "",
  ];
}

function renderMetricsFrontend(port: number): string[] {
  return [
    "frontend _metrics",
    `  bind 127.0.0.1:${port}`,
    "  no log",
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  stats enable",
    "  stats uri /stats",
    "",
  ];
}

function renderNotFound(): string[] {
  return [
    "backend _notfound",
    '  http-request return status 404 content-type text/plain string "no route for this host and path"',
    "",
  ];
}

function renderBackend(backend: EdgeBackend, opts: RenderOptions): string[] {
  const cookie = cookieName(backend.name);
  return [
    `backend ${backend.name}`,
    // roundrobin is dynamic: weights and `add server` apply at run time.
    "  balance roundrobin",
    // `add server` refuses the `cookie` keyword in 2.6; dynamic cookies (hash of key, ip,
    // port) give runtime-added servers a cookie too, once `enable dynamic-cookie` is sent.
    `  cookie ${cookie} insert indirect nocache httponly dynamic`,
    `  dynamic-cookie-key ${opts.cookieKey}`,
    // HAProxy keeps honouring the cookie of a drained server; a switch must move everyone.
    `  ignore-persist if { req.cook(${cookie}) -m str -f '${opts.drainAclPath(backend.name)}' }`,
    ...renderForceCanary(backend.name, cookie, opts.canaryMapPath(backend.name)),
    "  http-request disable-l7-retry if !METH_GET",
    ...renderLogBudget(opts),
    ...renderHealthCheck(backend.health),
    ...backend.servers.map((s) => `  ${renderServer(s, backend.health)}`),
    "",
  ];
}

/**
 * A tester's (or a probe's) request asking for the canary gets the canary's sticky cookie put
 * first in its Cookie header, so persistence picks the canary even at weight 0 (HAProxy honours
 * the first cookie of that name; `indirect` strips it before the server sees it, and sets none
 * in the reply, so the browser's own stickiness is untouched). The cookie comes from a map the
 * control plane sets at run time: no canary, or one that is not ready, means no entry and the
 * request is balanced by weight like any other.
 */
function renderForceCanary(backend: string, cookie: string, mapPath: string): string[] {
  return [
    `  acl slw-want-canary req.hdr(${FORCE_CANARY_HEADER}) -m str 1`,
    `  acl slw-want-canary req.cook(${FORCE_CANARY_COOKIE}) -m str 1`,
    `  http-request set-var(txn.slw_canary) str(${backend}),map('${mapPath}') if slw-want-canary`,
    `  http-request set-header Cookie "${cookie}=%[var(txn.slw_canary)]; %[req.hdr(cookie)]" if { var(txn.slw_canary) -m found }`,
  ];
}

/**
 * Each logged request costs HAProxy a datagram and the receiver a wake-up (together more than
 * the rest of Slipway's config per request), while percentiles need far fewer samples than a
 * busy backend serves. So a backend serving R > B requests/s logs each with probability B/R:
 * about B lines a second, shared among its servers by traffic (a 5% canary still gets 50/s at
 * the default). be_sess_rate counts requests (each HTTP request is a stream) over the last
 * second, so traffic arriving after a quiet spell is logged more fully for a moment. Only
 * responses from servers go through these rules: HAProxy's own errors are always logged.
 */
function renderLogBudget(opts: RenderOptions): string[] {
  const budget = opts.logBudgetPerSecond ?? DEFAULT_LOG_BUDGET;
  if (opts.logPort === undefined || budget === Number.POSITIVE_INFINITY) return [];
  return [
    "  http-response set-var(txn.slw_rate) be_sess_rate",
    `  http-response set-log-level silent if { rand,mod(txn.slw_rate) ge ${budget} }`,
  ];
}

/** An HTTP check sends GET path and expects the spec's statuses; a TCP check only connects (no lines). */
function renderHealthCheck(health: EdgeHealth | undefined): string[] {
  if (health?.kind !== "http") return [];
  return [
    "  option httpchk",
    `  http-check send meth GET uri ${health.path}`,
    `  http-check expect status ${health.expectStatus}`,
  ];
}

/**
 * A restart has only this file: `maint` becomes `disabled`; `drain` becomes weight 0 (no new
 * balanced traffic, still checked) until `ensure` re-applies the drain and its cookie rule.
 */
function renderServer(server: EdgeServer, health: EdgeHealth | undefined): string {
  const weight = server.state === "drain" ? 0 : server.weight;
  const args = serverArgs({ port: server.port, weight }, health);
  return ["server", server.name, ...args, ...(server.state === "maint" ? ["disabled"] : [])].join(" ");
}
