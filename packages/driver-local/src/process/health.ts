import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { acceptsStatus, DEFAULT_EXPECT, type StatusRange } from "@slipway/core";

/** A probe must not hang on a server that accepted the connection but never answers. */
export const PROBE_TIMEOUT_MS = 1_000;

/** How much of a failing answer's body is kept to explain it. */
const BODY_BYTES = 120;

/** One check's outcome, and what was seen, for the message of a deploy that failed on it. */
export interface ProbeResult {
  ok: boolean;
  /** e.g. `GET http://127.0.0.1:4100/healthz answered 404 "Cannot GET /healthz"`, `… connection refused`. */
  detail: string;
}

/**
 * One GET: ok when the status is one of `expect` (2xx by default). No keep-alive agent, so no
 * socket outlives the probe (an idle pooled connection would hold a draining server open).
 */
export function probeHttp(
  url: string,
  timeoutMs = PROBE_TIMEOUT_MS,
  expect: readonly StatusRange[] = DEFAULT_EXPECT,
): Promise<ProbeResult> {
  const what = `GET ${url}`;
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, detail: `${what}: not a URL` });
      return;
    }
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(target, {
      method: "GET",
      agent: false,
      headers: { connection: "close" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.once("response", (res) => {
      const status = res.statusCode ?? 0;
      if (acceptsStatus(expect, status)) {
        res.destroy();
        resolve({ ok: true, detail: `${what} answered ${status}` });
        return;
      }
      let body = "";
      const done = () => {
        res.destroy();
        const excerpt = body.replace(/\s+/g, " ").trim().slice(0, BODY_BYTES);
        resolve({
          ok: false,
          detail: `${what} answered ${status}${excerpt ? ` ${JSON.stringify(excerpt)}` : ""}`,
        });
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length >= BODY_BYTES) done();
      });
      res.once("end", done);
      res.once("error", done);
    });
    req.once("error", (e) => resolve({ ok: false, detail: `${what}: ${describeError(e, timeoutMs)}` }));
    req.end();
  });
}

/** Ok when something accepts a TCP connection on 127.0.0.1:port. */
export function probeTcp(port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const what = `TCP connect to 127.0.0.1:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
      timeoutMs,
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, detail: `${what} accepted` });
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `${what}: ${describeError(e, timeoutMs)}` });
    });
  });
}

function describeError(e: Error, timeoutMs: number): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "connection refused (nothing listens there yet)";
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer within ${timeoutMs / 1000} s`;
  if (code === "ECONNRESET") return "connection reset before an answer";
  return e.message;
}
