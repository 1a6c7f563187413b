import { lchownSync, lstatSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type ProcessHandle, type RuntimePort, SlipwayError } from "@slipway/core";
import { jobOutcome, launchJob, stopJob } from "./jobs/launch";
import { readLog } from "./process/logs";
import { findByNonce } from "./process/proc";
import { Supervisor, type SupervisorOptions } from "./process/supervisor";
import { freePort, isPortFree } from "./system/ports";
import { assertTraversable, type RunAs } from "./system/service-user";

/**
 * Processes on this machine: long-running ones under the Supervisor, one-shot jobs through
 * the detached runner, all as `runAs` (the app user when we are root), which the control
 * plane never sees.
 */
export function localRuntime(runAs: RunAs | undefined, opts: SupervisorOptions = {}): RuntimePort {
  const supervisor = new Supervisor(opts);
  const ids = runAs ? { runAs: { uid: runAs.uid, gid: runAs.gid } } : {};
  return {
    start: (spec) => supervisor.start({ ...spec, ...ids }),
    adopt(spec, trace) {
      const found = "nonce" in trace ? findByNonce(trace.nonce) : trace;
      if (!found) return undefined;
      const handle: ProcessHandle = { id: spec.id, pid: found.pid, startTime: found.startTime };
      return supervisor.adopt({ ...spec, ...ids }, handle) ? handle : undefined;
    },
    waitHealthy: (id, waitMs) => supervisor.waitHealthy(id, waitMs),
    lastHealthCheck: (id) => supervisor.lastHealthCheck(id),
    has: (id) => supervisor.handle(id) !== undefined,
    list: () => supervisor.list().map(({ id, pid, state, restarts }) => ({ id, pid, state, restarts })),
    onEvent(listener) {
      supervisor.on("started", (handle) => listener({ kind: "started", handle }));
      supervisor.on("restart", (e) => listener({ kind: "restart", ...e }));
      supervisor.on("crashloop", (e) => listener({ kind: "crashloop", ...e }));
    },
    retire: (id) => supervisor.retire(id),
    stop: (id, graceMs) => supervisor.stop(id, graceMs),
    detach: () => supervisor.release(),
    allocatePort: freePort,
    isPortFree,
    ensureVolume: async (dir) => ensureVolume(dir, runAs),
    attachUser: () => (runAs ? { uid: runAs.uid, gid: runAs.gid } : null),
    runJob: async (spec) => launchJob(spec, runAs),
    jobOutcome,
    stopJob,
    logs: (logFile, o) => readLog(logFile, o),
  };
}

/**
 * A service's persistent directory, owned by the user services run as. Its parent is ours:
 * running as root we never chown through a symlink the service user may have planted.
 */
function ensureVolume(dir: string, runAs: RunAs | undefined): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  assertRealDirectory(dirname(dir), process.getuid?.());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertRealDirectory(dir);
  if (runAs) lchownSync(dir, runAs.uid, runAs.gid);
  assertTraversable(dir, runAs);
}

function assertRealDirectory(path: string, owner?: number): void {
  const st = lstatSync(path);
  if (st.isDirectory() && (owner === undefined || st.uid === owner)) return;
  throw new SlipwayError(
    "SLW_STATE_CORRUPT",
    `${path} is not a directory${owner !== undefined ? ` owned by uid ${owner}` : ""} (a symlink?)`,
    "remove it; Slipway recreates it (the volume's files are in the directory it pointed to)",
  );
}
