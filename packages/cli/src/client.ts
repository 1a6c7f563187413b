import { existsSync, readFileSync } from "node:fs";
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

/** Calls the API; a problem+json answer becomes a SlipwayError with the server's code and hint. */
export async function api<T>(t: Target, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new SlipwayError(
      "SLW_SERVER_UNREACHABLE",
      `cannot reach the control plane at ${t.url}: ${(e as Error).cause ?? (e as Error).message}`,
      "is it running? start it with: slipway up",
    );
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const p = data as {
      code?: string;
      detail?: string;
      hint?: string;
      detail_data?: Record<string, unknown>;
    };
    throw new SlipwayError(
      (p?.code ?? "SLW_INTERNAL") as ErrorCode,
      p?.detail ?? `${res.status} ${res.statusText}`,
      p?.hint,
      p?.detail_data,
    );
  }
  return data as T;
}

/** Streams a text endpoint line by line (logs -f). */
export async function* stream(t: Target, path: string, signal: AbortSignal): AsyncIterable<string> {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.token}` }, signal });
  if (!res.ok || !res.body) {
    const p = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; hint?: string };
    throw new SlipwayError((p.code ?? "SLW_INTERNAL") as ErrorCode, p.detail ?? res.statusText, p.hint);
  }
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
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
