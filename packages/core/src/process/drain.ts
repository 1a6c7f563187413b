/**
 * When to ask a draining process to stop. A process leaves traffic the moment its
 * release stops being live (the edge sends it no new request); then:
 *
 * - its in-flight requests may finish on their own: as soon as none is left, or at the
 *   latest after half of its `drainSeconds`, it gets SIGTERM;
 * - long-lived connections (WebSocket, SSE) never end by themselves, so by then the
 *   process is asked to close them itself, cleanly, and its clients reconnect to the
 *   live release;
 * - at `drainSeconds` after it left traffic, whatever remains is SIGKILLed.
 */
export interface DrainingProcess {
  /** When it left traffic (ms since the epoch). */
  since: number;
  drainMs: number;
  /** Requests and connections the edge still has open to it (0 for non-web processes). */
  inFlight: number;
}

export type DrainStep =
  /** SIGTERM now; SIGKILL after `graceMs` if it has not exited. */
  { do: "terminate"; graceMs: number } | { do: "wait"; ms: number };

const RECHECK_MS = 100;

export function planDrain(p: DrainingProcess, now: number): DrainStep {
  const elapsed = now - p.since;
  const graceMs = Math.max(0, p.drainMs - elapsed);
  if (p.inFlight === 0 || elapsed >= p.drainMs / 2) return { do: "terminate", graceMs };
  return { do: "wait", ms: Math.min(RECHECK_MS, p.drainMs / 2 - elapsed) };
}
