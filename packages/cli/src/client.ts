import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join, resolve } from "node:path";
import { type ErrorCode, SlipwayError } from "@slipway/core";

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

/** Finds the control plane of the project in `dir` (or SLIPWAY_URL) and the token to use. */
export function target(dir: string): Target {
  const root = resolve(dir);
  const server = readStateFile<{ url: string }>(
    join(root, ".slipway", "server.json"),
    "where the control plane listens",
    "it is rewritten by `slipway up`; delete it and run `slipway up` again",
  );
  const url = process.env.SLIPWAY_URL ?? server?.url;
  if (!url)
    throw new SlipwayError(
      "SLW_SERVER_UNREACHABLE",
      `no control plane is running for ${root}`,
      "start it with: slipway up   (or set SLIPWAY_URL)",
    );
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

/**
 * One request over node:http (or https). Not fetch: loading undici and waiting for its
 * keep-alive socket to let go cost a short command like `slipway status` ~300 ms of its start.
 */
async function send(
  t: Target,
  method: string,
  path: string,
  body: string | undefined,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const url = new URL(`${t.url}${path}`);
  const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
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
    req.end(body);
  });
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
    (p.code ?? "SLW_INTERNAL") as ErrorCode,
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
