import http from "node:http";
import { log, logError, release, requireEnv } from "./runtime.mjs";

/** An error whose message is safe to show the client, with the HTTP status to use. */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads the whole request body, refusing more than `limit` bytes (a 413, not an OOM). */
export async function readBody(req, limit) {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req, limit = 64 * 1024) {
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString("utf8") || "null");
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
}

/**
 * Serves `routes` ([method, RegExp, handler(req, res, match, url)]) on 127.0.0.1:$PORT, plus
 * GET /healthz, which is 200 only while `ready()` resolves and the server is not draining:
 * answering 503 during a drain tells the proxy to stop sending new requests here.
 * Returns the server and `close()`, which stops accepting connections and resolves once
 * in-flight requests have been answered.
 */
export function serve({ routes, ready = async () => {} }) {
  const port = Number(requireEnv("PORT"));
  let draining = false;
  const inFlight = new Set();

  const healthz = async (_req, res) => {
    if (draining) return sendJson(res, 503, { status: "draining", release });
    try {
      await ready();
      sendJson(res, 200, { status: "ok", release });
    } catch (err) {
      logError("health check failed", err);
      sendJson(res, 503, { status: "unavailable", release });
    }
  };
  const table = [["GET", /^\/healthz$/, healthz], ...routes];

  const server = http.createServer(async (req, res) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    if (draining) res.setHeader("connection", "close");
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      const onPath = table.filter(([, pattern]) => pattern.test(url.pathname));
      if (onPath.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const route = onPath.find(([method]) => method === req.method);
      if (!route) {
        res.setHeader("allow", onPath.map(([method]) => method).join(", "));
        throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`);
      }
      const [, pattern, handler] = route;
      await handler(req, res, url.pathname.match(pattern), url);
    } catch (err) {
      if (!(err instanceof HttpError)) logError(`${req.method} ${url.pathname}`, err);
      if (res.headersSent) return res.destroy();
      const status = err instanceof HttpError ? err.status : 500;
      sendJson(res, status, { error: err instanceof HttpError ? err.message : "internal error" });
    }
  });

  server.listen(port, "127.0.0.1", () => log(`listening on 127.0.0.1:${port}`));
  server.on("error", (err) => {
    logError("server", err);
    process.exit(1);
  });

  return {
    server,
    close: () =>
      new Promise((resolve) => {
        draining = true;
        server.close(() => resolve());
        // server.close() alone waits for keep-alive sockets to time out (5 s each): close the
        // idle ones now, and tell clients of in-flight requests not to reuse theirs.
        server.closeIdleConnections();
        for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      }),
  };
}
