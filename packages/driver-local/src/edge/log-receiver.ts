import { createSocket, type Socket } from "node:dgram";
import { SlipwayError } from "@slipway/core";
import { LatencyHistogram } from "./latency-histogram";
import type { LatencySummary, StatusCounts } from "./types";

/** One request as HAProxy logged it with `LOG_FORMAT`. */
export interface EdgeLogEntry {
  backend: string;
  server: string;
  status: number;
  /** %Ta: from the first byte of the request to the last byte of the response, in ms. */
  activeMs: number;
}

export interface ServerTally {
  backend: string;
  server: string;
  statuses: StatusCounts;
  latency: LatencySummary;
}

/** Parses one "slw1 <backend> <server> <status> <Ta>" line; anything else is undefined. */
export function parseEdgeLogLine(line: string): EdgeLogEntry | undefined {
  const m = /^slw1 (\S+) (\S+) (-?\d+) (-?\d+)\s*$/.exec(line);
  if (!m) return undefined;
  const [, backend, server, status, active] = m;
  // <NOSRV>: answered by HAProxy itself (no route, no server up): no revision to charge it to.
  if (!backend || !server || server.startsWith("<")) return undefined;
  return { backend, server, status: Number(status), activeMs: Number(active) };
}

export function statusClass(status: number): keyof StatusCounts {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx` as keyof StatusCounts;
  return "other";
}

interface Tally {
  statuses: StatusCounts;
  histogram: LatencyHistogram;
}

/**
 * Per-request latency per revision: HAProxy 2.6 exports only averages, so it sends one log
 * line per logged request over UDP to this receiver, which keeps a latency histogram and
 * status counts per backend/server. UDP means a busy or absent receiver costs HAProxy nothing.
 * A datagram costs HAProxy a syscall and us a wake-up (each far more than parsing the line),
 * which is why HAProxy logs a budget of requests per second per backend, not all of them.
 */
export class EdgeLogReceiver {
  private socket: Socket | undefined;
  private readonly tallies = new Map<string, Tally & { backend: string; server: string }>();

  constructor(readonly port: number) {}

  /** Binds 127.0.0.1:port; SLW_PORT_IN_USE when something else holds it. */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (e: NodeJS.ErrnoException) => {
        socket.close();
        reject(
          e.code === "EADDRINUSE"
            ? new SlipwayError(
                "SLW_PORT_IN_USE",
                `UDP port ${this.port} on 127.0.0.1 (edge request logs) is already in use`,
                "stop the other program, or give the edge another log port",
                { port: this.port },
              )
            : e,
        );
      });
      socket.bind(this.port, "127.0.0.1", () => resolve());
    });
    socket.on("message", (msg: Buffer) => this.record(msg.toString("utf8")));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Counts one log line; lines that are not ours are ignored. */
  record(line: string): void {
    const entry = parseEdgeLogLine(line);
    if (!entry) return;
    const tally = this.tallyFor(entry.backend, entry.server);
    tally.statuses[statusClass(entry.status)]++;
    // -1: the request was aborted before a response; it has a status but no duration.
    if (entry.activeMs >= 0) tally.histogram.record(entry.activeMs);
  }

  /** Per server; given a latency budget, with how many samples were slower than it. */
  snapshot(latencyBudgetMs?: number): ServerTally[] {
    return [...this.tallies.values()].map(({ backend, server, statuses, histogram: h }) => ({
      backend,
      server,
      statuses: { ...statuses },
      latency: {
        samples: h.count,
        p50Ms: h.percentile(50),
        p95Ms: h.percentile(95),
        p99Ms: h.percentile(99),
        maxMs: h.max,
        ...(latencyBudgetMs !== undefined ? { overBudget: h.slowerThan(latencyBudgetMs) } : {}),
      },
    }));
  }

  /** Starts a new window (e.g. per canary step). */
  reset(): void {
    this.tallies.clear();
  }

  private tallyFor(backend: string, server: string) {
    const key = `${backend}/${server}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = {
        backend,
        server,
        statuses: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 },
        histogram: new LatencyHistogram(),
      };
      this.tallies.set(key, tally);
    }
    return tally;
  }
}
