import { describe, expect, it } from "vitest";
import { LatencyHistogram, MAX_MS } from "./latency-histogram";

describe("LatencyHistogram", () => {
  it("is exact below 256 ms and answers nearest-rank percentiles", () => {
    const h = new LatencyHistogram();
    for (let ms = 0; ms < 256; ms++) h.record(ms);
    expect(h.count).toBe(256);
    expect(h.percentile(50)).toBe(127);
    expect(h.percentile(99)).toBe(253);
    expect(h.percentile(100)).toBe(255);
    expect(h.max).toBe(255);
  });

  it("stays within 0.8% above 256 ms, never below the value, never above the max", () => {
    for (const ms of [256, 257, 1000, 4321, 65_537, 1_234_567, MAX_MS]) {
      const h = new LatencyHistogram();
      h.record(1);
      h.record(ms);
      expect(h.percentile(50)).toBe(1);
      expect(h.percentile(100)).toBe(ms); // the top bucket is capped by the exact max
      const other = new LatencyHistogram();
      other.record(ms);
      other.record(ms + 1_000_000); // a larger max: the bucket's own bound shows
      const p50 = other.percentile(50);
      expect(p50).toBeGreaterThanOrEqual(ms);
      expect(p50).toBeLessThanOrEqual(ms * 1.008);
    }
  });

  it("counts the samples slower than a latency budget", () => {
    const h = new LatencyHistogram();
    for (const ms of [10, 249, 250, 251, 400, 5_000]) h.record(ms);
    expect(h.slowerThan(250)).toBe(3);
    expect(h.slowerThan(10_000)).toBe(0);
    expect(new LatencyHistogram().slowerThan(1)).toBe(0);
  });

  it("counts anything longer than an hour as an hour; empty is 0", () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).toBe(0);
    h.record(10 * MAX_MS);
    expect(h.max).toBe(MAX_MS);
    expect(h.percentile(99)).toBe(MAX_MS);
  });
});
