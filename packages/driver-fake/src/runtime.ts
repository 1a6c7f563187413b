import {
  type JobOutcome,
  type JobRef,
  type JobSpec,
  type ProcessHandle,
  type ProcessSpec,
  type ProcessTrace,
  type RuntimeEvent,
  type RuntimePort,
  SlipwayError,
} from "@slipway/core";
import type { FakeProcess, FakeWorld } from "./world";

/**
 * The runtime of one fake control plane: what it supervises is the world's processes it
 * started or adopted. Nothing waits: health and exits are read off the world's clock.
 */
export function fakeRuntime(world: FakeWorld): RuntimePort {
  const self = {};
  const listeners: ((e: RuntimeEvent) => void)[] = [];
  const mine = (id: string): FakeProcess | undefined =>
    world.processes.find((p) => p.spec.id === id && p.owner === self && world.alive(p));
  const handleOf = (p: FakeProcess): ProcessHandle => ({ id: p.spec.id, pid: p.pid, startTime: p.startTime });
  const jobOf = (job: JobRef) =>
    world.jobs.find((j) => (job.pid !== null ? j.pid === job.pid : j.spec.nonce === job.nonce));

  return {
    async start(spec: ProcessSpec) {
      world.call(`start ${spec.id}`);
      if (mine(spec.id))
        throw new SlipwayError(
          "SLW_CONFLICT",
          `${spec.id} is already supervised`,
          "stop it first, or adopt it",
        );
      const handle = handleOf(world.spawn(spec, self));
      for (const l of listeners) l({ kind: "started", handle });
      return handle;
    },
    adopt(spec, trace: ProcessTrace) {
      const p = world.processes.find(
        (p) =>
          world.alive(p) &&
          ("nonce" in trace
            ? p.spec.env.SLIPWAY_PROCESS_NONCE === trace.nonce
            : p.pid === trace.pid && p.startTime === trace.startTime),
      );
      if (!p || (p.owner !== undefined && p.owner !== self)) return undefined;
      world.call(`adopt ${spec.id}`);
      p.owner = self;
      p.spec = spec;
      return handleOf(p);
    },
    async waitHealthy(id) {
      const p = mine(id);
      return p !== undefined && world.healthy(p);
    },
    lastHealthCheck(id) {
      const p = mine(id);
      if (!p) return undefined;
      if (world.healthy(p)) return "healthy";
      return world.restarts(p) > 0 ? `exited ${world.restarts(p)} times (crash loop)` : "not healthy yet";
    },
    has: (id) => mine(id) !== undefined,
    list: () =>
      world.processes
        .filter((p) => p.owner === self && world.alive(p))
        .map((p) => ({ id: p.spec.id, pid: p.pid, state: "running", restarts: world.restarts(p) })),
    onEvent(listener) {
      listeners.push(listener);
    },
    retire(id) {
      const p = mine(id);
      if (p) p.retired = true;
    },
    async stop(id) {
      const p = mine(id);
      if (!p) return;
      world.call(`stop ${id}`);
      p.stoppedAt = world.clock.now();
      p.owner = undefined;
    },
    detach() {
      for (const p of world.processes) if (p.owner === self) p.owner = undefined;
    },
    async allocatePort() {
      return world.port();
    },
    async isPortFree(port) {
      return !world.processes.some((p) => world.alive(p) && p.spec.env.PORT === String(port));
    },
    async ensureVolume() {},
    attachUser: () => null,
    async runJob(spec: JobSpec) {
      world.call(`runJob ${spec.id}`);
      return world.runJob(spec).pid;
    },
    jobOutcome(job): JobOutcome {
      const j = jobOf(job);
      // Nothing ever carried its nonce: it never got going, and may be started again.
      if (!j) return { state: "not-started" };
      const s = world.jobState(j);
      return s.state === "running"
        ? { state: "running", pid: j.pid }
        : s.state === "exited"
          ? { state: "exited", code: s.code }
          : { state: "unknown" };
    },
    async stopJob(job, _graceMs) {
      const j = jobOf(job);
      if (!j || world.jobState(j).state !== "running") return;
      world.call(`stopJob ${job.id}`);
      j.stoppedAt = world.clock.now();
    },
    async *logs(logFile, opts) {
      const lines = world.logs.get(logFile) ?? [];
      yield* opts.lines === undefined ? lines : lines.slice(-opts.lines);
    },
  };
}
