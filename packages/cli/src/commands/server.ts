import { resolve } from "node:path";
import { assertTransportAllowed, parseListen, SlipwayError } from "@slipway/core";
import { edgePem, serverTls, startControlPlane, statePaths } from "@slipway/server";
import { printJson } from "../output";
import { STACK_NAME } from "./stack-name";

export interface ServerOptions {
  /** The stack it runs, its spec coming with each deploy (no stack directory on this host). */
  stack?: string;
  /** Instead: a stack directory on this host, whose spec and working tree it deploys. */
  dir?: string;
  env: string;
  listen: string;
  dataDir: string;
  cert?: string;
  key?: string;
  http: boolean;
  port?: number;
  edgeListen: string;
  edgeCert?: string;
  edgeKey?: string;
  json: boolean;
}

/**
 * `slipway server`: the control plane of one stack on this host, its API over HTTPS
 * on `--listen`, its state under `--data-dir`. Deploys come from CLIs (contexts); SIGTERM or
 * Ctrl-C stop only the control plane, leaving the stack serving for the next start to adopt.
 */
export async function server(o: ServerOptions): Promise<void> {
  const listen = parseListen(o.listen);
  assertTransportAllowed(listen.host, !o.http, "listen");
  const dataDir = resolve(o.dataDir);
  const tls = o.http
    ? undefined
    : await serverTls({ certFile: o.cert, keyFile: o.key, dataDir, listenHost: listen.host });
  const publicBind = edgeBind(o, dataDir);
  const cp = await startControlPlane({
    ...stackSource(o, dataDir),
    dataDir,
    env: o.env,
    listen,
    ...(tls ? { tls } : {}),
    deployOnStart: false,
    publicBind,
    ...(o.port !== undefined ? { publicPort: o.port } : {}),
    ...(process.env.SLIPWAY_DATABASE_URL ? { databaseUrl: process.env.SLIPWAY_DATABASE_URL } : {}),
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cp.shutdown());
  announce(cp.url, listen.host, tls?.fingerprint, cp.firstAdminToken, statePaths("", dataDir).credentials, o);
  await cp.closed;
  process.exit(0);
}

/**
 * Where the server's spec comes from: with `--stack NAME`, from each deploy (kept in the data
 * directory); with `--dir`, from a stack directory on this host, as `slipway up` reads it.
 */
function stackSource(o: ServerOptions, dataDir: string) {
  if (o.stack !== undefined && o.dir !== undefined)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      "--stack and --dir: give one",
      "--stack NAME to receive the spec with each deploy (the usual), or --dir PATH to deploy a directory on this host",
    );
  if (o.dir !== undefined) return { projectDir: resolve(o.dir) };
  if (o.stack === undefined || !STACK_NAME.test(o.stack))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      o.stack === undefined
        ? "--stack: name the stack this server runs"
        : `--stack: ${JSON.stringify(o.stack)} is not a stack name (1-32 lowercase letters, digits or '-', starting with a letter)`,
      "pass the `name` of its slipway.config.ts, e.g. --stack shop; deploys then bring the spec",
      { field: "--stack" },
    );
  return { projectDir: statePaths("", dataDir).stack, stackName: o.stack };
}

/** The edges on the public interface, TLS terminated by HAProxy when given a certificate. */
function edgeBind(o: ServerOptions, dataDir: string) {
  if (!!o.edgeCert !== !!o.edgeKey)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--edge-cert and --edge-key go together; got only ${o.edgeCert ? "--edge-cert" : "--edge-key"}`,
      "pass both PEM files (certificate chain, private key) for HTTPS at the edge, or neither for HTTP",
    );
  const tlsPem =
    o.edgeCert && o.edgeKey ? edgePem({ certFile: o.edgeCert, keyFile: o.edgeKey, dataDir }) : undefined;
  return { address: o.edgeListen, ...(tlsPem ? { tlsPem } : {}) };
}

/** Where the API is, what to pin, and on the first start the admin token: all a CLI needs. */
function announce(
  url: string,
  listenHost: string,
  fingerprint: string | undefined,
  token: string | undefined,
  credentialsFile: string,
  o: ServerOptions,
) {
  if (o.json)
    return printJson({
      url,
      ...(fingerprint ? { fingerprint } : {}),
      ...(token ? { adminToken: token } : {}),
    });
  // 0.0.0.0 and :: are "every address": the CLI needs one of them, which only the user knows.
  const reachable = listenHost === "0.0.0.0" || listenHost === "::" ? url.replace(/\/\/.*:/, "//HOST:") : url;
  const stack = o.dir ? `stack in ${resolve(o.dir)}` : `stack ${o.stack}, its spec comes with each deploy`;
  const lines = [`control plane  ${url}  (${stack}, state in ${resolve(o.dataDir)})`];
  if (fingerprint) lines.push(`fingerprint    ${fingerprint}`);
  if (token)
    lines.push(
      `admin token    ${token}`,
      `               (shown once; also in ${credentialsFile}, readable by this user only)`,
    );
  lines.push(
    "",
    "on your machine:",
    `  slipway context add ${o.env} ${reachable} --token ${token ?? "<token>"}${fingerprint ? ` --fingerprint ${fingerprint}` : ""}`,
    // The first deploy brings the spec: run it in the stack's directory (or pass --dir).
    `  slipway deploy --context ${o.env} --env ${o.env}${o.dir ? "" : "   (in the stack's directory: it uploads the spec and source)"}`,
    "",
  );
  process.stderr.write(lines.join("\n"));
}
