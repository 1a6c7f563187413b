import { describe, expect, it } from "vitest";
import { activeFreeze, describeFreeze } from "./freeze";

const weekend = { days: ["fri", "sat", "sun"], from: "16:00", until: "00:00" };

describe("activeFreeze", () => {
  it("includes the start and excludes the end of a one-off window", () => {
    const w = { from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00Z" };
    expect(activeFreeze([w], Date.parse("2026-12-20T00:00:00Z"))).toBe(w);
    expect(activeFreeze([w], Date.parse("2027-01-04T00:00:00Z"))).toBeUndefined();
    expect(activeFreeze([w], Date.parse("2026-12-19T23:59:59Z"))).toBeUndefined();
  });

  it("recurs weekly in UTC; 00:00 as the end means midnight", () => {
    expect(activeFreeze([weekend], Date.parse("2026-12-04T16:00:00Z"))).toBe(weekend); // a Friday
    expect(activeFreeze([weekend], Date.parse("2026-12-04T23:59:00Z"))).toBe(weekend);
    expect(activeFreeze([weekend], Date.parse("2026-12-04T15:59:00Z"))).toBeUndefined();
    expect(activeFreeze([weekend], Date.parse("2026-12-03T18:00:00Z"))).toBeUndefined(); // a Thursday
  });

  it("names the window in words", () => {
    expect(describeFreeze({ ...weekend, reason: "weekend" })).toBe(
      "on fri, sat, sun 16:00–24:00 UTC (weekend)",
    );
  });
});
