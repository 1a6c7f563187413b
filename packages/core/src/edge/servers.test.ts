import { describe, expect, it } from "vitest";
import { desiredServers, type WebProcess } from "./servers";

const p = (
  releaseId: string,
  releaseNumber: number,
  replica = 1,
  status: WebProcess["status"] = "running",
) => ({
  service: "api",
  releaseId,
  releaseNumber,
  replica,
  port: 1000 + releaseNumber * 10 + replica,
  status,
});

describe("desiredServers", () => {
  it("routes to the live release only, and keeps the rollout target out until the switch", () => {
    const s = desiredServers([p("r1", 1), p("r2", 2)], "r1", "r2");
    expect(s.api).toEqual([{ name: "v1-1", port: 1011, weight: 100, state: "ready" }]);
  });
  it("drains the previous release after the switch", () => {
    const s = desiredServers([p("r1", 1), p("r2", 2), p("r2", 2, 2)], "r2", null);
    expect(s.api?.map((x) => [x.name, x.state])).toEqual([
      ["v1-1", "drain"],
      ["v2-1", "ready"],
      ["v2-2", "ready"],
    ]);
  });
  it("keeps a retired process draining until it is gone, even if its release is live again", () => {
    const s = desiredServers([p("r1", 1, 1, "draining"), p("r2", 2)], "r1", null);
    expect(s.api?.map((x) => [x.name, x.state, x.weight])).toEqual([
      ["v1-1", "drain", 0],
      ["v2-1", "drain", 0],
    ]);
  });
  it("splits a backend between the live release and a canary by share, spread over each side's servers", () => {
    const s = desiredServers([p("r1", 1), p("r1", 1, 2), p("r2", 2)], "r1", null, {
      releaseId: "r2",
      weight: 5,
    });
    expect(s.api?.map((x) => [x.name, x.weight, x.state, x.canary])).toEqual([
      ["v1-1", 122, "ready", undefined],
      ["v1-2", 122, "ready", undefined],
      ["v2-1", 13, "ready", true],
    ]);
  });
  it("keeps the live release ready at share 0 while a blue/green target takes everything", () => {
    const s = desiredServers([p("r1", 1), p("r2", 2)], "r1", null, { releaseId: "r2", weight: 100 });
    expect(s.api?.map((x) => [x.name, x.weight, x.state])).toEqual([
      ["v1-1", 0, "ready"],
      ["v2-1", 256, "ready"],
    ]);
  });
  it("drops stopped processes", () => {
    expect(desiredServers([p("r1", 1, 1, "stopped")], "r1", null)).toEqual({});
  });
});
