import type { Driver, EdgePort } from "@slipway/core";
import { fakeAddons } from "./addons";
import { fakeBackups } from "./backups";
import { fakeBuilder } from "./builder";
import { fakeEdge } from "./edge";
import { fakeRuntime } from "./runtime";
import { FakeWorld } from "./world";

/**
 * An in-memory `Driver` for unit tests: nothing runs, no timers; the returned `world`
 * decides what happens (see FakeWorld) and records what was asked. Pass the same `world`
 * to a second `fakeDriver` to play a control plane restarted over what the first started.
 */
export function fakeDriver(opts: { world?: FakeWorld } = {}): { driver: Driver; world: FakeWorld } {
  const world = opts.world ?? new FakeWorld();
  const edges = new Map<string, EdgePort>();
  const driver: Driver = {
    name: "fake",
    runtime: fakeRuntime(world),
    addons: fakeAddons(world),
    backups: fakeBackups(world),
    builder: fakeBuilder(world),
    edge(target) {
      let edge = edges.get(target.env);
      if (!edge) {
        edge = fakeEdge(world, target.env);
        edges.set(target.env, edge);
      }
      return edge;
    },
    preflight() {},
    async detach() {
      driver.runtime.detach();
      for (const edge of edges.values()) await edge.detach();
    },
  };
  return { driver, world };
}
