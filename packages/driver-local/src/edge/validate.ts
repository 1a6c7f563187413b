import { DNS_HOST, HEALTH_PATH, normalizeRoutePath, ROUTE_PATH, SlipwayError } from "@slipway/core";
import type { EdgeConfig, EdgeHealth, EdgeServer } from "./types";

// Everything below ends up inside haproxy.cfg or a runtime-API command line, where a space,
// quote, `$`, `#` or `;` changes the meaning. The spec already restricts names; these checks
// make the renderer safe on its own instead of trusting every caller.
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Single-quoted in haproxy.cfg; HAProxy still expands `$` there, so it is refused too.
const FILE_PATH = /^\/[A-Za-z0-9 _./+@,:=~-]*$/;
const STATES = new Set(["ready", "drain", "maint"]);

function invalid(what: string, value: unknown, rule: string): SlipwayError {
  return new SlipwayError(
    "SLW_EDGE_FAILED",
    `refusing to render the edge: ${what} ${JSON.stringify(value)} is not valid (${rule})`,
    "this value should have been rejected when the spec was validated; please report it",
    { what, value },
  );
}

export function assertName(what: string, value: string): void {
  if (typeof value !== "string" || !NAME.test(value))
    throw invalid(what, value, "lowercase letters, digits and '-', at most 63");
}

export function assertInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(what, value, `an integer ${min}-${max}`);
}

export function assertPort(what: string, value: number): void {
  assertInteger(what, value, 1, 65535);
}

export function assertHex(what: string, value: string): void {
  if (!/^[0-9a-f]{16,64}$/.test(value)) throw invalid(what, value, "16-64 lowercase hex digits");
}

/** Paths written into haproxy.cfg (socket, ACL files). */
export function assertFilePath(what: string, value: string): void {
  if (!FILE_PATH.test(value) || value.includes("//"))
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `the edge state directory path ${JSON.stringify(value)} contains characters HAProxy's config cannot carry safely`,
      "use a state directory whose absolute path has only letters, digits, spaces and _ . / + @ , : = ~ -",
      { what, value },
    );
}

/** Linux caps unix socket paths at 107 bytes; HAProxy would fail later with a vaguer message. */
/** A dotted IPv4 address, the only kind of public bind address the edge renders. */
export function assertIPv4(what: string, value: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (!m || m.slice(1).some((o) => Number(o) > 255))
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `the ${what} ${JSON.stringify(value)} is not an IPv4 address`,
      "give an IPv4 address of this machine (ip -4 addr), or 0.0.0.0 for all of them",
      { what, value },
    );
}

export function assertSocketPath(value: string): void {
  assertFilePath("socket path", value);
  if (Buffer.byteLength(value) > 107)
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `the edge's runtime socket path is ${Buffer.byteLength(value)} bytes; unix sockets allow 107: ${value}`,
      "use a shorter state directory path for the edge",
      { path: value },
    );
}

export function assertServers(backend: string, servers: EdgeServer[]): void {
  const names = new Set<string>();
  for (const s of servers) {
    assertName(`server name in backend ${backend}`, s.name);
    assertPort(`port of server ${backend}/${s.name}`, s.port);
    assertInteger(`weight of server ${backend}/${s.name}`, s.weight, 0, 256);
    if (!STATES.has(s.state))
      throw invalid(`state of server ${backend}/${s.name}`, s.state, "ready, drain or maint");
    if (names.has(s.name)) throw invalid(`server name in backend ${backend}`, s.name, "used twice");
    names.add(s.name);
  }
}

function assertHealth(backend: string, health: EdgeHealth | undefined): void {
  if (!health) return;
  if (!(health.intervalSeconds >= 0.001 && health.intervalSeconds <= 86_400))
    throw invalid(`health check interval of ${backend}`, health.intervalSeconds, "0.001 to 86400 seconds");
  if (health.kind !== "http") return;
  if (!HEALTH_PATH.test(health.path))
    throw invalid(`health path of ${backend}`, health.path, "'/' then URL path/query characters");
  if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(health.expectStatus))
    throw invalid(
      `expected health status of ${backend}`,
      health.expectStatus,
      'codes and ranges like "200-299,401"',
    );
}

/** Throws SLW_EDGE_FAILED naming the first value that could not be rendered safely. */
export function assertValidEdgeConfig(config: EdgeConfig): void {
  assertName("environment name", config.env);
  assertPort("public port", config.publicPort);
  const ports = new Map<number, string>([[config.publicPort, "the public port"]]);
  const backends = new Set<string>();
  for (const b of config.backends) {
    assertName("backend name", b.name);
    if (backends.has(b.name)) throw invalid("backend name", b.name, "used twice");
    backends.add(b.name);
    assertHealth(b.name, b.health);
    if (b.internalPort !== undefined) {
      assertPort(`internal port of ${b.name}`, b.internalPort);
      const other = ports.get(b.internalPort);
      if (other) throw invalid(`internal port of ${b.name}`, b.internalPort, `already ${other}`);
      ports.set(b.internalPort, `the internal port of ${b.name}`);
    }
    assertServers(b.name, b.servers);
  }
  const seen = new Set<string>();
  for (const r of config.routes) {
    if (!ROUTE_PATH.test(r.path)) throw invalid("route path", r.path, "'/' then URL path characters");
    if (r.host !== undefined && !DNS_HOST.test(r.host)) throw invalid("route host", r.host, "a DNS name");
    if (!backends.has(r.backend)) throw invalid("route backend", r.backend, "no backend by that name");
    const key = `${r.host ?? "*"} ${normalizeRoutePath(r.path)}`;
    if (seen.has(key)) throw invalid("route", key, "the same host and path twice");
    seen.add(key);
  }
}
