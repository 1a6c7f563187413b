import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downCleanly, finishProject, makeProject, processesUnder, slipway, upDetached } from "./harness";

/**
 * What the README says about a running stack's safety, checked on one: nothing listens beyond
 * 127.0.0.1, and add-on passwords are sealed under `.slipway/master.key` (the database holds
 * no password in the clear, and another key cannot open them).
 */
describe("a running stack keeps to 127.0.0.1 and seals its secrets", () => {
  let dir: string;
  let edge: string;

  beforeAll(async () => {
    dir = makeProject("claims");
    edge = (await upDetached(dir)).edge;
  });

  afterAll(() => finishProject(dir));

  it("add-ons, HAProxy, services and the control plane listen on 127.0.0.1 only", async () => {
    const sockets = listeningSockets();
    const controlPlane = (
      JSON.parse(readFileSync(join(dir, ".slipway", "server.json"), "utf8")) as { pid: number }
    ).pid;
    const owned = processesUnder(dir).flatMap((p) =>
      socketInodes(p.pid).flatMap((inode) => {
        const s = sockets.get(inode);
        // UDP: only the control plane receives (the edge's request logs). HAProxy's socket
        // for sending them is bound by the kernel to the wildcard on first send, and is never read.
        if (!s || (s.proto.startsWith("udp") && p.pid !== controlPlane)) return [];
        return [{ pid: p.pid, cmd: p.cmd, ...s }];
      }),
    );
    expect(owned.filter((s) => !s.loopback).map((s) => `${s.cmd}: ${s.proto} ${s.address}`)).toEqual([]);

    // Not vacuous: each part of the stack was seen listening.
    const { addons, processes } = await status(dir);
    const listening = new Set(owned.map((s) => s.pid));
    for (const a of addons) expect(listening.has(a.pid), `add-on ${a.name} (pid ${a.pid})`).toBe(true);
    for (const p of processes.filter((p) => p.port))
      expect(listening.has(p.pid), `service ${p.id} (pid ${p.pid})`).toBe(true);
    expect(owned.some((s) => /^(\S*\/)?haproxy /.test(s.cmd) && s.port === Number(new URL(edge).port))).toBe(
      true,
    );
    expect(owned.some((s) => s.pid === controlPlane && s.proto === "tcp")).toBe(true); // the API
    expect(owned.some((s) => s.pid === controlPlane && s.proto === "udp")).toBe(true); // edge logs
  });

  it("keeps add-on passwords out of .slipway in the clear, and opens them only with its master key", async () => {
    const secrets = addonSecrets(dir);
    expect(Object.keys(secrets).sort()).toEqual(["bucket", "postgres", "redis"]);
    const everything = join(dir, ".slipway");
    for (const [addon, secret] of Object.entries(secrets))
      expect(filesContaining(everything, secret), `${addon} password on disk`).toEqual([]);

    // Another key cannot open them: `up` refuses, names the key, and starts nothing.
    const databaseUrl = serviceEnv(dir).DATABASE_URL!;
    await downCleanly(dir);
    const keyFile = join(everything, "master.key");
    const key = readFileSync(keyFile);
    writeFileSync(keyFile, randomBytes(32).toString("base64"));
    const refused = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SLW_[A-Z_]+/);
    expect(refused.stderr, "the error names the key, the thing to restore").toContain("master.key");
    expect(processesUnder(dir), "a refused `up` leaves nothing running").toEqual([]);

    // With its own key back, the same sealed password opens the same database.
    writeFileSync(keyFile, key);
    await upDetached(dir, ["--port", new URL(edge).port]);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});

interface Listener {
  proto: string;
  address: string;
  port: number;
  loopback: boolean;
}

/**
 * Every socket that accepts from the network, by inode: TCP in LISTEN, UDP unconnected.
 * /proc/net/{tcp,udp}{,6} hold addresses as hex in host (little-endian) byte order.
 */
function listeningSockets(): Map<string, Listener> {
  const out = new Map<string, Listener>();
  for (const proto of ["tcp", "tcp6", "udp", "udp6"]) {
    const lines = readFileSync(`/proc/net/${proto}`, "utf8").trim().split("\n").slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [localHex, portHex] = f[1]!.split(":");
      const remote = f[2]!;
      const listening = proto.startsWith("tcp") ? f[3] === "0A" : /^0+:0000$/.test(remote);
      if (!listening) continue;
      const address = decodeAddress(localHex!);
      out.set(f[9]!, {
        proto,
        address,
        port: Number.parseInt(portHex!, 16),
        loopback: address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1",
      });
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  // Each 32-bit word is little-endian.
  const bytes = hex.match(/.{8}/g)!.flatMap((word) =>
    word
      .match(/../g)!
      .reverse()
      .map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join(".")}`;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const text = groups.join(":");
  return text === "0:0:0:0:0:0:0:1" ? "::1" : text === "0:0:0:0:0:0:0:0" ? "::" : text;
}

function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

async function status(dir: string) {
  const r = await slipway(["status", "--dir", dir, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (
    JSON.parse(r.stdout) as {
      environments: {
        addons: { name: string; pid: number }[];
        processes: { id: string; pid: number; port: number | null }[];
      }[];
    }
  ).environments[0]!;
}

/** The environment of the example's api process, which uses every add-on. */
function serviceEnv(dir: string): Record<string, string> {
  const api = processesUnder(dir).find((p) => /[ /]api\.mjs$/.test(p.cmd));
  expect(api, "the api process").toBeDefined();
  return Object.fromEntries(
    readFileSync(`/proc/${api!.pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

/** Each add-on's password as the services receive it. */
function addonSecrets(dir: string): Record<string, string> {
  const env = serviceEnv(dir);
  const password = (url: string | undefined) => decodeURIComponent(new URL(url ?? "x:").password);
  return {
    postgres: password(env.DATABASE_URL),
    redis: password(env.REDIS_URL),
    bucket: env.AWS_SECRET_ACCESS_KEY ?? "",
  };
}

/** Every file under dir whose bytes contain `secret` (which must be long enough to mean something). */
function filesContaining(dir: string, secret: string): string[] {
  expect(secret.length).toBeGreaterThanOrEqual(16);
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => {
      try {
        return statSync(f).isFile() && readFileSync(f).includes(secret);
      } catch {
        return false; // removed while we looked (a log rotated, a temp file renamed)
      }
    });
}
