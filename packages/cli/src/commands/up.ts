import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isSlipwayError } from "@slipway/core";
import { startControlPlane } from "@slipway/server";
import { api, localTarget, readStateFile } from "../client";
import { followRollout } from "../follow";
import { printJson, type RouteView, routesTable } from "../output";

export interface UpOptions {
  dir: string;
  env: string;
  port?: number;
  apiPort: number;
  detach: boolean;
  json: boolean;
}

interface StatusEnv {
  name: string;
  url: string | null;
  live: { release: number } | null;
  routes: RouteView[];
}

/**
 * `slipway up`: the control plane in the foreground (Ctrl-C stops the whole stack; SIGTERM
 * stops only the control plane and leaves the stack running for the next `up` to adopt),
 * or with --detach in the background, returning once the stack is up.
 */
export async function up(o: UpOptions): Promise<void> {
  const dir = resolve(o.dir);
  if (o.detach) return upDetached(dir, o);
  const cp = await startControlPlane({
    projectDir: dir,
    env: o.env,
    apiPort: o.apiPort,
    ...(o.port !== undefined ? { publicPort: o.port } : {}),
    ...(process.env.SLIPWAY_DATABASE_URL ? { databaseUrl: process.env.SLIPWAY_DATABASE_URL } : {}),
  });
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping the stack (processes, edge, add-ons)…\n");
    void cp.down("slipway up (Ctrl-C)").then(() => process.stderr.write("stack is down\n"));
  });
  process.once("SIGTERM", () => void cp.shutdown());
  if (process.env.SLIPWAY_UP_CHILD) {
    // Detached child: the parent reads server.json and reports; keep quiet.
  } else {
    await report(dir, o, cp.firstAdminToken, cp.initialRollout).catch((e) => {
      if (isSlipwayError(e))
        process.stderr.write(`error ${e.code}: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ""}`);
      else throw e;
    });
    if (!o.json) process.stderr.write("Ctrl-C stops the whole stack (like `slipway down`).\n");
  }
  await cp.closed;
  process.exit(0);
}

async function upDetached(dir: string, o: UpOptions): Promise<void> {
  const out = join(dir, ".slipway", "control-plane.out");
  const args = [process.argv[1]!, "up", "--dir", dir, "--env", o.env, "--api-port", String(o.apiPort)];
  if (o.port !== undefined) args.push("--port", String(o.port));
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(dir, ".slipway"), { recursive: true });
  const fd = openSync(out, "w");
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, SLIPWAY_UP_CHILD: "1" },
  });
  closeSync(fd);
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  child.unref();
  const serverFile = join(dir, ".slipway", "server.json");
  for (;;) {
    if (exited !== null) {
      process.stderr.write(readFileSync(out, "utf8"));
      process.exit(exited);
    }
    const info = existsSync(serverFile)
      ? readStateFile<{ pid: number; initialRollout?: string; firstStart?: boolean }>(serverFile, "", "")
      : undefined;
    if (info && info.pid === child.pid && "firstStart" in info) {
      const creds = info.firstStart
        ? readStateFile<{ token: string }>(join(dir, ".slipway", "credentials.json"), "", "")
        : undefined;
      await report(dir, o, creds?.token, info.initialRollout);
      process.stderr.write(
        `control plane runs in the background (pid ${child.pid}); stop everything with: slipway down\n`,
      );
      process.exit(0);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function report(
  dir: string,
  o: UpOptions,
  token: string | undefined,
  rollout: string | undefined,
): Promise<void> {
  const t = localTarget(dir);
  if (!o.json) {
    process.stderr.write(`control plane  ${t.url}\n`);
    if (token)
      process.stderr.write(
        `admin token    ${token}\n               (shown once; saved for this CLI in .slipway/credentials.json)\n`,
      );
  }
  if (rollout) await followRollout(t, rollout, { quiet: o.json });
  const status = await api<{ environments: StatusEnv[] }>(t, "GET", "/v1/status");
  const env = status.environments.find((e) => e.name === o.env);
  if (o.json)
    return printJson({ controlPlane: t.url, ...(token ? { adminToken: token } : {}), environment: env });
  process.stdout.write(
    `\n${o.env} is up${env?.live ? ` (v${env.live.release})` : ""} at ${env?.url}\n${routesTable(env?.routes ?? [])}\n`,
  );
}
