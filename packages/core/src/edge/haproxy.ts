/**
 * What the local edge and the Compose render's edge write alike into haproxy.cfg: the
 * characters a path or host may have there, the order routes are matched in, the frontend
 * rules that send a route to its backend, and the timeouts and retries.
 */

// Inside haproxy.cfg or a runtime-API command line a space, quote, `$`, `#` or `;` would
// change the meaning, so only these characters are accepted.
export const ROUTE_PATH = /^\/[A-Za-z0-9._~!*+,=:@%/-]{0,1023}$/;
/** A route path, plus a query string. */
export const HEALTH_PATH = /^\/[A-Za-z0-9._~!*+,=:@%/?&-]{0,1023}$/;
export const DNS_HOST =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** "/api/" and "/api" are the same prefix; "/" stays "/". */
export function normalizeRoutePath(path: string): string {
  return path.replace(/\/+$/, "") || "/";
}

interface MatchedRoute {
  path: string;
  host?: string;
}

/** Longest prefix first; for equal prefixes, a host-specific route before a catch-all one. */
export function orderRoutes<R extends MatchedRoute>(routes: R[]): R[] {
  return [...routes].sort(
    (a, b) =>
      normalizeRoutePath(b.path).length - normalizeRoutePath(a.path).length ||
      (b.host ? 1 : 0) - (a.host ? 1 : 0),
  );
}

/** A frontend's `acl` and `use_backend` lines for `routes`, in matching order. */
export function routeRules<R extends MatchedRoute>(routes: R[], backendOf: (route: R) => string): string[] {
  const lines: string[] = [];
  orderRoutes(routes).forEach((route, i) => {
    const path = normalizeRoutePath(route.path);
    const conditions: string[] = [];
    if (route.host) {
      lines.push(`  acl r${i}-host req.hdr(host),field(1,:) -m str -i ${route.host.toLowerCase()}`);
      conditions.push(`r${i}-host`);
    }
    if (path !== "/") {
      // Two lines with one ACL name are ORed: the prefix itself, or the prefix as a directory.
      lines.push(`  acl r${i}-path path -m str ${path}`, `  acl r${i}-path path -m beg ${path}/`);
      conditions.push(`r${i}-path`);
    }
    lines.push(`  use_backend ${backendOf(route)}${conditions.length ? ` if ${conditions.join(" ")}` : ""}`);
  });
  return lines;
}

/** The `defaults` lines on retries and timeouts. */
export const HAPROXY_RETRIES_AND_TIMEOUTS = [
  // A connection refused by a server that is going away is retried on another one. So is a
  // GET whose reused keep-alive connection the server had just closed (Node's 5 s default
  // idle timeout makes that race common); other methods are never replayed (see backends).
  "  option redispatch",
  "  retries 2",
  "  retry-on conn-failure empty-response",
  "  timeout connect 5s",
  "  timeout client 60s",
  "  timeout server 60s",
  "  timeout http-request 10s",
  "  timeout http-keep-alive 10s",
  "  timeout queue 30s",
  // WebSockets and other upgraded connections; a half-closed one is not kept for an hour.
  "  timeout tunnel 1h",
  "  timeout client-fin 5s",
  "  timeout server-fin 5s",
];
