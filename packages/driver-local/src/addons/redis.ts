import { join } from "node:path";
import { envName, SlipwayError } from "@slipway/core";
import type { RedisAddon } from "@slipway/spec";
import { requireBinary } from "../system/binaries";
import { addonUser } from "../system/service-user";
import { label, prepareDataDir } from "./data-dir";
import { assertPortAvailable, portAnswers } from "./port-check";
import {
  exitWatch,
  logTail,
  pidAlive,
  readPidFile,
  signal,
  spawnDetached,
  waitFor,
  waitForExit,
} from "./process";
import { redisCommands } from "./resp";
import type { AddonDriver, AddonDriverOptions, AddonRecord } from "./types";

const files = (record: AddonRecord) => ({
  pid: join(record.dataDir, "redis.pid"),
  log: join(record.dataDir, "redis.log"),
  // Config errors are printed before `logfile` takes effect.
  startup: join(record.dataDir, "redis-startup.log"),
});

/**
 * redis-server from the machine, configured entirely through stdin (`redis-server -`), so the
 * password is neither in argv (/proc/<pid>/cmdline is world-readable) nor in a file.
 */
export function redisDriver(opts: AddonDriverOptions = {}): AddonDriver<RedisAddon> {
  return {
    async ensure(spec, record) {
      const bin = requireBinary("redis-server", "redis-server", opts.pathEnv ?? process.env.PATH ?? "");
      const runAs = addonUser();
      prepareDataDir(record, runAs);
      const existing = await probe(record);
      if (existing.state === "ours") return { pid: existing.pid, adopted: true };
      if (existing.state === "refuses-password")
        throw failed(record, `is running (pid ${existing.pid}) but refuses the password it was given`);
      await assertPortAvailable(record);

      const child = spawnDetached(bin, ["-"], {
        runAs,
        cwd: record.dataDir,
        logFile: files(record).startup,
        stdin: renderConfig(spec, record),
      });
      const exited = exitWatch(child);
      const pid = await waitFor(
        async () => {
          const p = await probe(record);
          return p.state === "ours" ? p.pid : undefined;
        },
        10_000,
        exited,
      );
      if (pid === undefined) {
        if (!exited()) child.kill("SIGTERM");
        throw failed(record, "did not start");
      }
      return { pid, adopted: false };
    },

    connectionEnv(_spec, record) {
      const url = `redis://:${encodeURIComponent(record.password)}@127.0.0.1:${record.port}`;
      return { REDIS_URL: url, [`${envName(record.name)}_URL`]: url };
    },

    async isRunning(record) {
      return pidAlive(readPidFile(files(record).pid), "redis-server");
    },

    async stop(record) {
      const pid = readPidFile(files(record).pid);
      if (pid === undefined || !pidAlive(pid, "redis-server")) return;
      // Plain SHUTDOWN saves exactly when the config persists (AOF on), which stop() cannot see.
      const replies = await redisCommands(record.port, [["AUTH", record.password], ["SHUTDOWN"]]).catch(
        () => [],
      );
      // The pid file is in our data dir and names a redis-server: ours to signal. SIGTERM = SHUTDOWN.
      if (replies[0] !== "OK") signal(pid, "SIGTERM");
      if (!(await waitForExit(pid, "redis-server", 10_000)))
        throw failed(record, `(pid ${pid}) did not stop`);
    },
  };
}

type Probe =
  | { state: "ours"; pid: number }
  | { state: "refuses-password"; pid: number }
  | { state: "absent" };

/** Ours = the pid file in our data dir names a live redis-server that takes our password and has that pid. */
async function probe(record: AddonRecord): Promise<Probe> {
  const pid = readPidFile(files(record).pid);
  if (pid === undefined || !pidAlive(pid, "redis-server") || !(await portAnswers(record.port)))
    return { state: "absent" };
  const replies = await redisCommands(record.port, [
    ["AUTH", record.password],
    ["INFO", "server"],
  ]).catch(() => []);
  if (replies[0] !== "OK") return { state: "refuses-password", pid };
  const info = typeof replies[1] === "string" ? replies[1] : "";
  return info.includes(`process_id:${pid}\r\n`) ? { state: "ours", pid } : { state: "absent" };
}

/** The whole config; nothing is read from /etc/redis. */
export function renderConfig(spec: RedisAddon, record: AddonRecord): string {
  const f = files(record);
  const lines = [
    "bind 127.0.0.1",
    `port ${record.port}`,
    "protected-mode yes",
    "daemonize no",
    `requirepass ${quote(record.password)}`,
    `maxmemory ${spec.maxmemory}`,
    `maxmemory-policy ${spec.evictionPolicy}`,
    `dir ${quote(record.dataDir)}`,
    `pidfile ${quote(f.pid)}`,
    `logfile ${quote(f.log)}`,
    'save ""',
    `appendonly ${spec.persistence ? "yes" : "no"}`,
    "appendfsync everysec",
  ];
  return `${lines.join("\n")}\n`;
}

/** A redis.conf double-quoted string: \\, \" and \xHH for anything unprintable. */
function quote(value: string): string {
  let out = "";
  for (const ch of Buffer.from(value, "utf8")) {
    if (ch === 0x5c || ch === 0x22) out += `\\${String.fromCharCode(ch)}`;
    else if (ch < 0x20 || ch >= 0x7f) out += `\\x${ch.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(ch);
  }
  return `"${out}"`;
}

function failed(record: AddonRecord, what: string): SlipwayError {
  const f = files(record);
  const tail = logTail([f.startup, f.log]);
  return new SlipwayError(
    "SLW_ADDON_FAILED",
    `${label(record)} ${what}${tail ? `:\n${tail}` : ""}`,
    `the logs are ${f.log} and ${f.startup}`,
    { log: tail },
  );
}
