import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** A probe must not hang on a server that accepted the connection but never answers. */
export const PROBE_TIMEOUT_MS = 1_000;

/**
 * One GET: true on 2xx. No keep-alive agent, so no socket outlives the probe (an idle
 * pooled connection would hold a draining server open).
 */
export function probeHttp(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(false);
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
      res.destroy();
      resolve(status >= 200 && status < 300);
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}
