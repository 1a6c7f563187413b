import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import type { Duplex, Readable } from "node:stream";
import { connect as connectTls } from "node:tls";
import {
  assertTransportAllowed,
  isErrorCode,
  isLoopbackHost,
  isSlipwayError,
  normalizeFingerprint,
  SlipwayError,
} from "@slipway/core";
import { isAlive } from "@slipway/driver-local/proc";
import { chooseTarget, findContext, readContexts } from "./contexts";

export interface Target {
  url: string;
  token: string;
  /** `sha256:…`: the only certificate this target may present (checked in the TLS handshake). */
  fingerprint?: string;
  /** The project directory, when the target is that project's own control plane (`slipway up`). */
  dir?: string;
  /** The context it came from, for messages. */
  context?: string;
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
 * The spec's `server` for the command's `--env`, read before the command runs (main.ts): the
 * spec loader is too heavy to load from every command, and only main knows the command's --dir.
 */
let specServer: { env: string; server: string } | undefined;
export function setSpecServer(env: string, server: string): void {
  specServer = { env, server };
}

/**
 * Which control plane a command talks to (see chooseTarget for the order): `--context NAME`
 * (or SLIPWAY_CONTEXT); SLIPWAY_URL with SLIPWAY_TOKEN and SLIPWAY_FINGERPRINT (CI); the
 * spec's `server` for the command's `--env` (or SLIPWAY_ENV); the context whose env list names
 * it; the context chosen with `slipway context use`; the project's own control plane in `dir`.
 */
export function resolveTarget(o: { dir: string; context?: string; env?: string }): Target {
  const env = o.env ?? (process.env.SLIPWAY_ENV || undefined);
  const contexts = readContexts();
  const choice = chooseTarget({
    context: o.context ?? (process.env.SLIPWAY_CONTEXT || undefined),
    url: process.env.SLIPWAY_URL || undefined,
    env,
    specServer: env !== undefined && specServer?.env === env ? specServer.server : undefined,
    contexts,
  });
  if (choice.kind === "context")
    return checkTarget({ ...findContext(choice.name, contexts), context: choice.name });
  if (choice.kind === "url") return checkTarget(fromEnvironment(resolve(o.dir), choice.url));
  return localTarget(o.dir);
}

/** The target of commands that take `--dir`: see resolveTarget. */
export const target = (dir: string): Target => resolveTarget({ dir });

/**
 * The project's own control plane. The token goes only to the process `.slipway/server.json`
 * names, while it runs: a stale file's URL may be anyone's listener by now.
 */
export function localTarget(dir: string): Target {
  const root = resolve(dir);
  const url = runningControlPlane(root);
  const token = process.env.SLIPWAY_TOKEN ?? localToken(root);
  if (!token) throw noToken();
  return { dir: root, url, token };
}

function fromEnvironment(root: string, url: string): Target {
  // The local token is for the local control plane only: never offered to a remote one.
  const token = process.env.SLIPWAY_TOKEN ?? (isLoopbackHost(hostOf(url)) ? localToken(root) : undefined);
  if (!token) throw noToken();
  const fingerprint = process.env.SLIPWAY_FINGERPRINT;
  return { url, token, ...(fingerprint ? { fingerprint: normalizeFingerprint(fingerprint) } : {}) };
}

const localToken = (root: string) =>
  readStateFile<{ token: string }>(
    join(root, ".slipway", "credentials.json"),
    "the local admin token",
    "set SLIPWAY_TOKEN to a token instead, or restore the file",
  )?.token;

const noToken = () =>
  new SlipwayError(
    "SLW_UNAUTHENTICATED",
    "no token: neither SLIPWAY_TOKEN nor .slipway/credentials.json",
    "set SLIPWAY_TOKEN to a token an admin created with `slipway tokens create`, or use a context: slipway context add",
  );

const hostOf = (url: string) => parseUrl(url).hostname;

const parseUrl = (url: string) => {
  try {
    return new URL(url);
  } catch {
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `${JSON.stringify(url)} is not a URL`,
      "give the control plane's URL, like https://deploy.example.com:7443",
    );
  }
};

/** A URL the token may go to: https anywhere, http only to loopback. */
export function checkTarget(t: Target): Target {
  const url = parseUrl(t.url);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `the control plane URL ${t.url} is not http(s)`,
      "use https://HOST:PORT as `slipway server` prints it",
    );
  assertTransportAllowed(url.hostname, url.protocol === "https:", "target");
  return { ...t, url: t.url.replace(/\/+$/, "") };
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
      "start it with: slipway up   (or pick a remote one: --context NAME, or SLIPWAY_URL and SLIPWAY_TOKEN)",
    );
  if (!server) throw notRunning("");
  // Pid and start time name one process: a pid reused by another program is not ours.
  if (!server.pid || !server.startTime || !isAlive(server.pid, server.startTime))
    throw notRunning(
      ` (${file} is left from control plane pid ${server.pid ?? "?"}, which has exited; nothing was sent to ${server.url})`,
    );
  return server.url;
}

export interface RequestOptions {
  method: string;
  /** The path and query, e.g. `/v1/status`. */
  path: string;
  /** JSON text, or a raw body streamed as it is read (a file blob). */
  body?: string | RawBody;
  signal?: AbortSignal;
}

/** A raw request body streamed as it is read (a file blob); chunked when its length is not known. */
export interface RawBody {
  stream: Readable;
  length?: number;
  /** The stream is gzip of the content (sent as `content-encoding: gzip`). */
  gzip?: boolean;
  /** Which bytes of the content the stream carries (`bytes START-END/TOTAL`): a resumable upload. */
  contentRange?: string;
}

/**
 * Every call to a control plane goes through here. Over HTTPS the request is handed its
 * socket only once the handshake is done and the certificate checked (the pinned fingerprint,
 * or a CA the system trusts for that name), so no byte of it, the token least of all, reaches
 * a server that is not the one meant. Not fetch: loading undici and waiting for its keep-alive
 * socket to let go cost a short command like `slipway status` ~300 ms of its start.
 */
export async function request(t: Target, o: RequestOptions): Promise<IncomingMessage> {
  const url = new URL(`${t.url}${o.path}`);
  const https = url.protocol === "https:";
  const { request: start } = https ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = start(url, {
      method: o.method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(typeof o.body === "string" ? { "content-type": "application/json" } : {}),
        ...(typeof o.body === "object" ? { "content-type": "application/octet-stream" } : {}),
        ...(typeof o.body === "object" && o.body.length !== undefined
          ? { "content-length": String(o.body.length) }
          : {}),
        ...(typeof o.body === "object" && o.body.gzip ? { "content-encoding": "gzip" } : {}),
        ...(typeof o.body === "object" && o.body.contentRange
          ? { "content-range": o.body.contentRange }
          : {}),
      },
      ...(https ? { createConnection: verifiedConnection(t, url) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    req.once("response", resolve);
    req.once("error", (e) =>
      reject(
        o.signal?.aborted || isSlipwayError(e)
          ? e
          : new SlipwayError(
              "SLW_SERVER_UNREACHABLE",
              `cannot reach the control plane at ${t.url}: ${e.message}`,
              t.dir
                ? "is it running? start it with: slipway up"
                : "is `slipway server` running there, and the port open?",
            ),
      ),
    );
    if (typeof o.body === "object") o.body.stream.once("error", (e) => req.destroy(e)).pipe(req);
    else req.end(o.body);
  });
}

/**
 * A `createConnection` for node:https that gives the request its socket only after the TLS
 * handshake succeeded and the certificate passed: with a pin, exactly that certificate
 * (whoever signed it); without, the system's CAs and the host name (Node's default checks).
 */
function verifiedConnection(t: Target, url: URL) {
  return (_opts: unknown, ready: (err: Error | null, socket: Duplex) => void): undefined => {
    const servername = isIP(url.hostname) ? undefined : url.hostname;
    const socket = connectTls({
      host: url.hostname,
      port: Number(url.port || 443),
      ...(servername ? { servername } : {}),
      ALPNProtocols: ["http/1.1"],
      // With a pin, the CA check is replaced (not skipped): the fingerprint is compared below.
      rejectUnauthorized: !t.fingerprint,
    });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err) socket.destroy();
      ready(err, socket);
    };
    socket.once("secureConnect", () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      if (t.fingerprint && normalizeFingerprint(seen) !== t.fingerprint)
        return finish(
          new SlipwayError(
            "SLW_TLS_UNTRUSTED",
            `${url.host} presented a certificate with fingerprint ${normalizeFingerprint(seen)}, not the pinned ${t.fingerprint}; nothing was sent`,
            `if the server's certificate was replaced on purpose, pin the new one: slipway context add ${t.context ?? "NAME"} ${t.url} --token … --fingerprint <the one \`slipway server\` prints>`,
          ),
        );
      finish(null);
    });
    socket.once("error", (e: NodeJS.ErrnoException) =>
      finish(
        TLS_TRUST_ERRORS.has(e.code ?? "")
          ? new SlipwayError(
              "SLW_TLS_UNTRUSTED",
              `${url.host}'s certificate is not trusted (${e.code}: ${e.message}); nothing was sent`,
              `pin it instead: slipway context add ${t.context ?? "NAME"} ${t.url} --token … --fingerprint sha256:…   (\`slipway server\` prints it)`,
            )
          : e,
      ),
    );
    return undefined;
  };
}

/** Handshake failures that mean "not the certificate we trust", not "cannot connect". */
const TLS_TRUST_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

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
  const res = await request(t, {
    method,
    path,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = await text(res);
  if (!ok(res)) throw problemError(res, data);
  return (data ? JSON.parse(data) : undefined) as T;
}

/** PUTs a raw body; a problem+json answer becomes a SlipwayError with the server's code and hint. */
export async function putRaw<T>(t: Target, path: string, body: RawBody): Promise<T> {
  const res = await request(t, { method: "PUT", path, body });
  const data = await text(res);
  if (!ok(res)) throw problemError(res, data);
  return JSON.parse(data) as T;
}

/** Streams a text endpoint line by line (logs -f). */
export async function* stream(t: Target, path: string, signal: AbortSignal): AsyncIterable<string> {
  const res = await request(t, { method: "GET", path, signal });
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
      t.dir
        ? "the control plane stopped; start it again with: slipway up"
        : "the connection or the server went away; run the command again",
    );
  }
  if (buf) yield buf;
}
