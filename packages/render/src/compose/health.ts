import { type HealthConfig, statusRanges } from "@slipway/core";
import { type ComposeHealthcheck, duration, literal } from "./model";

/**
 * The spec's health check as a Compose healthcheck, run inside the service's own container.
 * The app image has no curl or wget, but it has node: an HTTP check is a GET with fetch
 * (redirects not followed, so a 302 is judged as a 302, as the edge does), a TCP check a
 * connect. `process` has nothing to run: staying up is the check.
 */
export function composeHealthcheck(health: HealthConfig, port: number): ComposeHealthcheck | undefined {
  const kind = health.kind ?? "http";
  if (kind === "process") return undefined;
  const timeoutMs = Math.max(1000, Math.round(health.intervalSeconds * 1000));
  const script =
    kind === "tcp"
      ? `require("net").connect(${port},"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))`
      : `const ok=${JSON.stringify(statusRanges(health.expect))};` +
        `fetch(${JSON.stringify(`http://127.0.0.1:${port}${health.path ?? "/healthz"}`)},{redirect:"manual",signal:AbortSignal.timeout(${timeoutMs})})` +
        ".then((r)=>process.exit(ok.some(([a,b])=>r.status>=a&&r.status<=b)?0:1),()=>process.exit(1))";
  return {
    test: ["CMD", "node", "-e", literal(script)],
    interval: duration(health.intervalSeconds),
    timeout: duration(Math.max(1, health.intervalSeconds)),
    // Two failures in a row make it unhealthy, as the edge's `fall 2`.
    retries: 2,
    // The time a new container has to become healthy (the spec's timeoutSeconds); failures
    // before then do not count.
    start_period: duration(health.timeoutSeconds),
  };
}
