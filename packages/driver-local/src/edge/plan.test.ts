import { describe, expect, it } from "vitest";
import {
  commandsFor,
  type ObservedServer,
  planCanaryCookie,
  planDrainCookies,
  planServerChanges,
  removalCommands,
} from "./plan";
import type { EdgeServer } from "./types";

const srv = (name: string, port: number, weight = 100, state: EdgeServer["state"] = "ready"): EdgeServer => ({
  name,
  port,
  weight,
  state,
});
const seen = (s: EdgeServer): ObservedServer => ({
  server: s.name,
  port: s.port,
  weight: s.weight,
  state: s.state,
});

describe("planServerChanges", () => {
  it("does nothing when live equals desired", () => {
    const desired = [srv("v1", 7001), srv("v2", 7002, 10)];
    expect(planServerChanges(desired, desired.map(seen))).toEqual([]);
  });

  it("adds the new revision before removing the old one (a switch)", () => {
    expect(planServerChanges([srv("v2", 7002)], [seen(srv("v1", 7001))])).toEqual([
      { op: "add", server: srv("v2", 7002) },
      { op: "remove", server: "v1" },
    ]);
  });

  it("sets the weight before readying a server and the state before re-weighting a leaving one", () => {
    expect(planServerChanges([srv("a", 1, 50)], [seen(srv("a", 1, 0, "maint"))])).toEqual([
      { op: "set-weight", server: "a", weight: 50 },
      { op: "set-state", server: "a", state: "ready" },
    ]);
    expect(planServerChanges([srv("a", 1, 0, "drain")], [seen(srv("a", 1, 50))])).toEqual([
      { op: "set-state", server: "a", state: "drain" },
      { op: "set-weight", server: "a", weight: 0 },
    ]);
  });

  it("raises the server gaining traffic before lowering the one losing it, whatever their order", () => {
    // Blue/green switching back: v2 leaves, v1 returns; v2 comes first in the list.
    const desired = [srv("v2", 7002, 0, "drain"), srv("v1", 7001, 100)];
    const observed = [seen(srv("v2", 7002, 100)), seen(srv("v1", 7001, 0, "drain"))];
    expect(planServerChanges(desired, observed)).toEqual([
      { op: "set-weight", server: "v1", weight: 100 },
      { op: "set-state", server: "v1", state: "ready" },
      { op: "set-state", server: "v2", state: "drain" },
      { op: "set-weight", server: "v2", weight: 0 },
    ]);
    // A canary step: the canary's weight rises before stable's falls.
    expect(
      planServerChanges(
        [srv("stable", 1, 50), srv("canary", 2, 50)],
        [seen(srv("stable", 1, 75)), seen(srv("canary", 2, 25))],
      ),
    ).toEqual([
      { op: "set-weight", server: "canary", weight: 50 },
      { op: "set-weight", server: "stable", weight: 50 },
    ]);
  });

  it("moves a server whose port changed", () => {
    expect(planServerChanges([srv("a", 2)], [seen(srv("a", 1))])).toEqual([
      { op: "set-port", server: "a", port: 2 },
    ]);
  });
});

describe("commandsFor", () => {
  it("adds a checked server in maintenance, gives it a cookie and health checks, then readies it", () => {
    expect(
      commandsFor("web", { op: "add", server: srv("v2-1", 7002, 25) }, { kind: "tcp", intervalSeconds: 2 }),
    ).toEqual([
      "add server web/v2-1 127.0.0.1:7002 weight 25 check inter 2s fastinter 1s fall 2 rise 2",
      "enable dynamic-cookie backend web",
      "enable health web/v2-1",
      "set server web/v2-1 state ready",
    ]);
  });

  it("adds an unchecked server without health commands", () => {
    expect(commandsFor("web", { op: "add", server: srv("a", 1, 1, "drain") }, undefined)).toEqual([
      "add server web/a 127.0.0.1:1 weight 1",
      "enable dynamic-cookie backend web",
      "set server web/a state drain",
    ]);
  });

  it("removes in steps: maintenance, idle connections closed, delete", () => {
    expect(removalCommands("web", "v1")).toEqual({
      stopTraffic: "set server web/v1 state maint",
      force: "shutdown sessions server web/v1",
      closeIdle: ["set server web/v1 state drain", "set server web/v1 state maint"],
      remove: "del server web/v1",
    });
  });
});

describe("planDrainCookies", () => {
  it("lists exactly the drained servers' cookies", () => {
    const rows = [
      { server: "v1", cookie: "aaaaaaaaaaaaaaaa" },
      { server: "v2", cookie: "bbbbbbbbbbbbbbbb" },
    ];
    expect(planDrainCookies([srv("v1", 1, 0, "drain"), srv("v2", 2)], rows, ["cccccccccccccccc"])).toEqual({
      add: ["aaaaaaaaaaaaaaaa"],
      del: ["cccccccccccccccc"],
    });
    expect(planDrainCookies([srv("v1", 1, 0, "drain")], rows, ["aaaaaaaaaaaaaaaa"])).toEqual({
      add: [],
      del: [],
    });
  });
});

describe("planCanaryCookie", () => {
  const rows = [
    { server: "v1", cookie: "aaaa" },
    { server: "v2", cookie: "bbbb" },
  ];
  const canary = (state: EdgeServer["state"] = "ready"): EdgeServer => ({
    ...srv("v2", 7002, 0, state),
    canary: true,
  });
  const plan = (desired: EdgeServer[], listed: [string, string][]) =>
    planCanaryCookie("web", desired, rows, new Map(listed), "#3");

  it("points the backend's entry at the ready canary's cookie", () => {
    expect(plan([srv("v1", 7001), canary()], [])).toEqual(["add map #3 web bbbb"]);
    expect(plan([srv("v1", 7001), canary()], [["web", "old"]])).toEqual(["set map #3 web bbbb"]);
    expect(plan([srv("v1", 7001), canary()], [["web", "bbbb"]])).toEqual([]);
  });

  it("removes the entry when there is no canary, or it drains or is stopped", () => {
    expect(plan([srv("v1", 7001), srv("v2", 7002)], [["web", "bbbb"]])).toEqual(["del map #3 web"]);
    expect(plan([srv("v1", 7001), canary("drain")], [["web", "bbbb"]])).toEqual(["del map #3 web"]);
    expect(plan([srv("v1", 7001), canary("maint")], [])).toEqual([]);
  });

  it("waits for HAProxy to compute a cookie before naming one", () => {
    expect(planCanaryCookie("web", [canary()], [{ server: "v2", cookie: "" }], new Map(), "#3")).toEqual([]);
  });
});
