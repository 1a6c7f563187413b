import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { isErrorCode, SlipwayError } from "@slipway/core";
import { isAlive } from "@slipway/driver-local/proc";

export interface Target {
  dir: string;
  url: string;
  token: string;
}

/** Reads a JSON file under .slipway/, turning damage into an error that says what to do. */
export function readStateFile<T>(file: string, what: string, fix: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new SlipwayError("SLW_STATE_CORRUPT", `${file} (${what}) is damaged: ${(e as Error).message}`, fix);
  }
}

/**
 * Finds the control plane of the project in `dir` (or SLIPWAY_URL) and the token to use.
 * The token goes only to the process `.slipway/server.json` names, while it runs: a stale
 * file's URL may be anyone's listener by now.
 */
export function target(dir: string): Target {
  const root = resolve(dir);
  const url = process.env.SLIPWAY_URL ?? runningControlPlane(root);
  const creds = readStateFile<{ token: string }>(
    join(root, ".slipway", "credentials.json"),
    "the local admin token",
    "set SLIPWAY_TOKEN to a token instead, or restore the file",
  );
  const token = process.env.SLIPWAY_TOKEN ?? creds?.token;
  if (!token)
    throw new SlipwayError(
      "SLW_UNAUTHENTICATED",
      "no token: neither SLIPWAY_TOKEN nor .slipway/credentials.json",
      "set SLIPWAY_TOKEN to a token an admin created with `slipway tokens create`",
    );
  return { dir: root, url, token };
}

interface ServerFile {
  url: string;
  pid?: number;
  startTime?: string;
}

/** The URL of the project's control plane, if the process that wrote server.json still runs. */
function runningControlPlane(root: string): string {
  const file = join(root, ".slipway", "server.json");
  const server = readStateFile<ServerFile>(
    file,
    "where the control plane listens",
    "it is rewritten by `slipway up`; delete it and run `slipway up` again",
  );
  const notRunning = (why: string) =>
    new SlipwayError(
      "SLW_SERVER_UNREACHABLE",
      `no control plane is running for ${root}${why}`,
      "start it with: slipway up   (or set SLIPWAY_URL and SLIPWAY_TOKEN for a remote one)",
    );
  if (!server) throw notRunning("");
  // Pid and start time name one process: a pid reused by another program is not ours.
  if (!server.pid || !server.startTime || !isAlive(server.pid, server.startTime))
    throw notRunning(
      ` (${file} is left from control plane pid ${server.pid ?? "?"}, which has exited; nothing was sent to ${server.url})`,
    );
  return server.url;
}

/**
 * One request over node:http (or https). Not fetch: loading undici and waiting for its
 * keep-alive socket to let go cost a short command like `slipway status` ~300 ms of its start.
 */
async function send(
  t: Target,
  method: string,
  path: string,
  body: string | RawBody | undefined,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const url = new URL(`${t.url}${path}`);
  const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(typeof body === "string" ? { "content-type": "application/json" } : {}),
        ...(typeof body === "object" ? { "content-type": "application/octet-stream" } : {}),
        ...(typeof body === "object" && body.gzip ? { "content-encoding": "gzip" } : {}),
      },
      ...(signal ? { signal } : {}),
    });
    req.once("response", resolve);
    req.once("error", (e) =>
      reject(
        signal?.aborted
          ? e
          : new SlipwayError(
              "SLW_SERVER_UNREACHABLE",
              `cannot reach the control plane at ${t.url}: ${e.message}`,
              "is it running? start it with: slipway up",
            ),
      ),
    );
    if (typeof body === "object") body.stream.once("error", (e) => req.destroy(e)).pipe(req);
    else req.end(body);
  });
}

/** A raw request body streamed as it is read (a file blob), sent chunked. */
export interface RawBody {
  stream: Readable;
  /** The stream is gzip of the content (sent as `content-encoding: gzip`). */
  gzip?: boolean;
}

/** PUTs a raw body; a problem+json answer becomes a SlipwayError with the server's code and hint. */
export async function putRaw<T>(t: Target, path: string, body: RawBody): Promise<T> {
  const res = await send(t, "PUT", path, body);
  const data = await text(res);
  if (!ok(res)) throw problemError(res, data);
  return JSON.parse(data) as T;
}

async function text(res: IncomingMessage): Promise<string> {
  let out = "";
  res.setEncoding("utf8");
  for await (const chunk of res) out += chunk;
  return out;
}

/** A problem+json answer as a SlipwayError with the server's code and hint. */
function problemError(res: IncomingMessage, body: string): SlipwayError {
  let p: { code?: string; detail?: string; hint?: string; detail_data?: Record<string, unknown> } = {};
  try {
    p = JSON.parse(body);
  } catch {}
  return new SlipwayError(
    // A code this CLI does not know is shown as the bug it would be.
    isErrorCode(p.code) ? p.code : "SLW_INTERNAL",
    p.detail ?? `${res.statusCode} ${res.statusMessage}`,
    p.hint,
    p.detail_data,
  );
}

const ok = (res: IncomingMessage) => (res.statusCode ?? 500) < 300;

/** Calls the API; a problem+json answer becomes a SlipwayError with the server's code and hint. */
export async function api<T>(t: Target, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(t, method, path, body === undefined ? undefined : JSON.stringify(body));
  const data = await text(res);
  if (!ok(res)) throw problemError(res, data);
  return (data ? JSON.parse(data) : undefined) as T;
}

/** Streams a text endpoint line by line (logs -f). */
export async function* stream(t: Target, path: string, signal: AbortSignal): AsyncIterable<string> {
  const res = await send(t, "GET", path, undefined, signal);
  if (!ok(res)) throw problemError(res, await text(res));
  res.setEncoding("utf8");
  let buf = "";
  try {
    for await (const chunk of res) {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      yield* lines;
    }
  } catch (e) {
    if (signal.aborted) return;
    throw new SlipwayError(
      "SLW_SERVER_UNREACHABLE",
      `the stream from ${t.url} was cut: ${(e as Error).message}`,
      "the control plane stopped; start it again with: slipway up",
    );
  }
  if (buf) yield buf;
}
