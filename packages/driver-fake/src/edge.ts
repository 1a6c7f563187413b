import { type EdgePort, type EdgeServer, type ServerStats, SlipwayError } from "@slipway/core";
import type { FakeWorld } from "./world";

const STATUS: Record<EdgeServer["state"], string> = { ready: "UP", drain: "DRAIN", maint: "MAINT" };

/** One environment's edge: records what it is told; its counters are what the test injected. */
export function fakeEdge(world: FakeWorld, env: string): EdgePort {
  const state = world.edge(env);
  const running = () => {
    if (state.pid === undefined)
      throw new SlipwayError("SLW_EDGE_FAILED", `the edge of ${env} is not running`, "ensure it first");
  };
  return {
    async ensure(config) {
      const adopted = state.pid !== undefined;
      state.pid ??= world.pid();
      state.config = config;
      for (const b of config.backends) state.servers.set(b.name, b.servers);
      return { pid: state.pid, adopted };
    },
    async setServers(backend, servers) {
      running();
      if (!state.config?.backends.some((b) => b.name === backend))
        throw new SlipwayError("SLW_EDGE_FAILED", `the edge of ${env} has no backend ${backend}`);
      world.call(`setServers ${env}/${backend}`);
      state.servers.set(backend, servers);
    },
    async stats() {
      running();
      return [...state.servers].flatMap(([backend, servers]) =>
        servers.map((s): ServerStats => {
          const injected = state.injected.get(`${backend}/${s.name}`) ?? {};
          return {
            backend,
            server: s.name,
            status: STATUS[s.state],
            weight: s.weight,
            sessions: 0,
            responses: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 },
            requests: 0,
            ...injected,
          };
        }),
      );
    },
    async sessions(backend) {
      running();
      return Object.fromEntries(
        (state.servers.get(backend) ?? []).map((s) => [
          s.name,
          state.injected.get(`${backend}/${s.name}`)?.sessions ?? 0,
        ]),
      );
    },
    async isRunning() {
      return state.pid !== undefined;
    },
    async stop() {
      state.pid = undefined;
    },
    async detach() {},
  };
}
