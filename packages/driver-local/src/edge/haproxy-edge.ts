import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { requireBinary } from "../system/binaries";
import { assertPortFree } from "../system/ports";
import { addonUser, type RunAs } from "../system/service-user";
import { type ConvergeContext, convergeBackend, serverRows } from "./converge";
import { daemonArgs, isLiveHaproxy, livePidFromFile, runOrThrow, stopHaproxy } from "./haproxy-process";
import { EdgeLogReceiver } from "./log-receiver";
import { type PublicBind, renderHaproxyConfig } from "./render";
import { RuntimeSocket } from "./runtime-socket";
import { parseServerRows, totalResponses } from "./show-stat";
import { type EdgePaths, type EdgeState, edgePaths, readEdgeState, writeEdgeFiles } from "./state-dir";
import type { EdgeBackend, EdgeConfig, EdgeServer, ServerStats } from "./types";
import { assertServers, assertValidEdgeConfig } from "./validate";

export interface HaproxyEdgeOptions {
  /** Exclusive directory for haproxy.cfg, the runtime socket, the pidfile and edge.json. */
  stateDir: string;
  /** The public frontend's address and TLS (a server's public interface). @default 127.0.0.1, HTTP */
  publicBind?: PublicBind;
  /**
   * UDP port on 127.0.0.1 for request logs (per-server latency). Like every option that ends
   * up in haproxy.cfg, changing it between control-plane restarts makes `ensure` reload HAProxy.
   */
  logPort?: number;
  /** Log 1 request in N. @default 1 */
  logSampleEvery?: number;
  /**
   * Per backend, about how many requests a second are logged: every one while the backend
   * serves fewer, a random sample of this size above. `Infinity` logs every request.
   * @default 1000
   */
  logBudgetPerSecond?: number;
  /** Prometheus exporter (`/metrics`) and stats page (`/stats`) on 127.0.0.1. */
  metricsPort?: number;
  /** How long a removed server may keep finishing requests before they are cut. @default 30000 */
  drainTimeoutMs?: number;
  /**
   * When we are root, HAProxy binds its ports and opens its socket as root, then drops to this
   * user through its own uid/gid directives: state files stay root-only, nothing needs chown.
   * @default addonUser()
   */
  runAs?: RunAs | undefined;
}

/**
 * One environment's HAProxy: started detached from a rendered config, adopted after a
 * control-plane restart, and changed through its runtime API: a traffic change (weights,
 * drain, new or removed servers) never reloads it. Calls are serialised.
 */
export class HaproxyEdge {
  private readonly paths: EdgePaths;
  private readonly socket: RuntimeSocket;
  private readonly logs: EdgeLogReceiver | undefined;
  private readonly converging: ConvergeContext;
  private state: EdgeState | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: HaproxyEdgeOptions) {
    this.paths = edgePaths(opts.stateDir);
    this.socket = new RuntimeSocket(this.paths.socket);
    this.logs = opts.logPort !== undefined ? new EdgeLogReceiver(opts.logPort) : undefined;
    this.converging = {
      socket: this.socket,
      drainAclPath: this.paths.drainAcl,
      canaryMapPath: this.paths.canaryMap,
      drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
    };
  }

  /**
   * Makes HAProxy serve `config`: starts it when none runs; otherwise adopts it and converges
   * servers through the runtime API, or reloads it seamlessly when routes, backends or ports
   * changed (a config change, not a traffic change). Idempotent.
   */
  ensure(config: EdgeConfig): Promise<{ pid: number; adopted: boolean }> {
    return this.exclusive(async () => {
      assertValidEdgeConfig(config);
      // Before HAProxy starts, so that its first log lines are not lost and a taken port fails first.
      await this.logs?.start();
      const running = await this.runningPid();
      const saved = readEdgeState(this.paths);
      const next: EdgeState = {
        version: 1,
        cookieKey: saved?.cookieKey ?? randomBytes(16).toString("hex"),
        config,
        retiring: (saved?.retiring ?? []).filter(isLiveHaproxy),
      };
      const cfg = this.render(next);
      const pid =
        running === undefined
          ? await this.start(next, cfg)
          : !saved || withoutServers(this.currentCfg()) !== withoutServers(cfg)
            ? await this.reload(running, saved?.config, next, cfg)
            : await this.converge(next, cfg, running);
      return { pid, adopted: running !== undefined };
    });
  }

  /**
   * Makes the backend's live servers equal `servers` (add, re-weight, drain, remove after its
   * in-flight requests are done) and re-renders haproxy.cfg so a restart keeps them.
   */
  setServers(backend: string, servers: EdgeServer[]): Promise<void> {
    return this.exclusive(async () => {
      assertServers(backend, servers);
      const state = this.requireState();
      const target = state.config.backends.find((b) => b.name === backend);
      if (!target) throw noBackend(backend);
      const updated: EdgeBackend = { ...target, servers };
      const next: EdgeState = {
        ...state,
        config: {
          ...state.config,
          backends: state.config.backends.map((b) => (b.name === backend ? updated : b)),
        },
      };
      // The file first: it is the desired state a restart must come back to.
      this.save(next, this.render(next));
      await convergeBackend(this.converging, updated);
    });
  }

  /** In-flight requests per server of `backend`. */
  async sessions(backend: string): Promise<Record<string, number>> {
    const rows = await serverRows(this.socket, backend);
    return Object.fromEntries(rows.map((r) => [r.server, r.sessions]));
  }

  /** Per live server: HAProxy's exact counters, plus latency percentiles from the log stream. */
  async stats(opts: { latencyBudgetMs?: number } = {}): Promise<ServerStats[]> {
    const ours = new Set(this.requireState().config.backends.map((b) => b.name));
    const rows = parseServerRows(await this.socket.send("show stat -1 4 -1")).filter((r) =>
      ours.has(r.backend),
    );
    const tallies = new Map(
      (this.logs?.snapshot(opts.latencyBudgetMs) ?? []).map((t) => [`${t.backend}/${t.server}`, t]),
    );
    return rows.map((r) => {
      const latency = tallies.get(`${r.backend}/${r.server}`)?.latency;
      return {
        backend: r.backend,
        server: r.server,
        status: r.status,
        weight: r.weight,
        sessions: r.sessions,
        responses: r.responses,
        requests: totalResponses(r.responses),
        ...(latency && latency.samples > 0 ? { latency } : {}),
      };
    });
  }

  /** A live HAProxy owns this state directory and answers on its runtime socket. */
  async isRunning(): Promise<boolean> {
    const pid = livePidFromFile(this.paths.pidFile);
    return pid !== undefined && (await this.socketPid()) === pid;
  }

  /** Stops HAProxy (finishing in-flight requests first, up to 5 s) and the log receiver. */
  stop(): Promise<void> {
    return this.exclusive(async () => {
      const saved = readEdgeState(this.paths);
      const pid = livePidFromFile(this.paths.pidFile);
      const pids = [...(pid !== undefined ? [pid] : []), ...(saved?.retiring ?? [])];
      await Promise.all(pids.map((p) => stopHaproxy(p)));
      if (saved) writeEdgeFiles(this.paths, this.currentCfg(), { ...saved, retiring: [] });
      await this.detach();
    });
  }

  /** Lets go without stopping HAProxy (control-plane shutdown): closes the log receiver. */
  async detach(): Promise<void> {
    await this.logs?.stop();
  }

  private async start(state: EdgeState, cfg: string): Promise<number> {
    const c = state.config;
    const hint = `choose other ports for the edge of environment ${c.env}`;
    await assertPortFree(c.publicPort, hint);
    for (const b of c.backends) if (b.internalPort !== undefined) await assertPortFree(b.internalPort, hint);
    if (this.opts.metricsPort !== undefined) await assertPortFree(this.opts.metricsPort, hint);
    this.save(state, cfg);
    await runOrThrow(haproxy(), daemonArgs(this.paths), this.paths.dir, "start");
    const pid = await this.awaitSocket();
    for (const backend of c.backends) await convergeBackend(this.converging, backend);
    return pid;
  }

  /** Same structure as the running process: only servers can differ, and they change live. */
  private async converge(state: EdgeState, cfg: string, pid: number): Promise<number> {
    this.save(state, cfg);
    for (const backend of state.config.backends) await convergeBackend(this.converging, backend);
    return pid;
  }

  /** Seamless reload: the new process takes the listeners; the old one finishes its requests. */
  private async reload(
    oldPid: number,
    old: EdgeConfig | undefined,
    state: EdgeState,
    cfg: string,
  ): Promise<number> {
    const hint = `choose other ports for the edge of environment ${state.config.env}`;
    const oldPorts = new Set([old?.publicPort, ...(old?.backends ?? []).map((b) => b.internalPort)]);
    for (const port of [state.config.publicPort, ...state.config.backends.map((b) => b.internalPort)])
      if (port !== undefined && !oldPorts.has(port)) await assertPortFree(port, hint);
    const previousCfg = this.currentCfg();
    this.save({ ...state, retiring: [...state.retiring, oldPid] }, cfg);
    try {
      await runOrThrow(haproxy(), daemonArgs(this.paths, oldPid), this.paths.dir, "reload");
    } catch (e) {
      // The old process still serves; keep the file it was started from.
      writeFileAtomic(this.paths.config, previousCfg, 0o600);
      throw e;
    }
    const pid = await this.awaitSocket(oldPid);
    for (const backend of state.config.backends) await convergeBackend(this.converging, backend);
    return pid;
  }

  /** The pidfile's haproxy when it answers on our socket; undefined when none runs. */
  private async runningPid(): Promise<number | undefined> {
    const pid = livePidFromFile(this.paths.pidFile);
    if (pid === undefined) return undefined;
    if ((await this.socketPid()) === pid) return pid;
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `HAProxy (pid ${pid}) holds the edge state directory ${this.paths.dir} but does not answer on ${this.paths.socket}`,
      `stop it (kill ${pid}) and try again`,
      { pid },
    );
  }

  private async socketPid(): Promise<number | undefined> {
    try {
      const info = await this.socket.send("show info");
      return Number(/^Pid: (\d+)$/m.exec(info)?.[1]);
    } catch {
      return undefined;
    }
  }

  /** After -D returns the socket exists; after a reload it must be the new process answering. */
  private async awaitSocket(notPid?: number): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const pid = livePidFromFile(this.paths.pidFile);
      if (pid !== undefined && pid !== notPid && (await this.socketPid()) === pid) return pid;
      if (Date.now() > deadline)
        throw new SlipwayError(
          "SLW_EDGE_FAILED",
          "HAProxy started but did not answer on its runtime socket within 5 s",
          `see ${this.paths.config}`,
        );
      await sleep(20);
    }
  }

  private render(state: EdgeState): string {
    const runAs = "runAs" in this.opts ? this.opts.runAs : addonUser();
    return renderHaproxyConfig(state.config, {
      socketPath: this.paths.socket,
      drainAclPath: this.paths.drainAcl,
      canaryMapPath: this.paths.canaryMap,
      cookieKey: state.cookieKey,
      logPort: this.opts.logPort,
      logSampleEvery: this.opts.logSampleEvery,
      logBudgetPerSecond: this.opts.logBudgetPerSecond,
      metricsPort: this.opts.metricsPort,
      runAs: runAs ? { uid: runAs.uid, gid: runAs.gid } : undefined,
      publicBind: this.opts.publicBind,
    });
  }

  private save(state: EdgeState, cfg: string): void {
    writeEdgeFiles(this.paths, cfg, state);
    this.state = state;
  }

  private currentCfg(): string {
    return existsSync(this.paths.config) ? readFileSync(this.paths.config, "utf8") : "";
  }

  private requireState(): EdgeState {
    this.state ??= readEdgeState(this.paths);
    if (!this.state)
      throw new SlipwayError(
        "SLW_EDGE_FAILED",
        `no edge has been set up in ${this.paths.dir}`,
        "call ensure(config) first",
      );
    return this.state;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** Servers change through the runtime API; anything else in the file needs a reload. */
function withoutServers(cfg: string): string {
  return cfg
    .split("\n")
    .filter((line) => !line.startsWith("  server "))
    .join("\n");
}

function noBackend(backend: string): SlipwayError {
  return new SlipwayError(
    "SLW_EDGE_FAILED",
    `the edge has no backend named ${backend}`,
    "add it with ensure(config)",
  );
}

function haproxy(): string {
  return requireBinary("haproxy", "haproxy");
}
