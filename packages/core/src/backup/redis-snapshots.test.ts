import { describe, expect, it } from "vitest";
import { redisSnapshotDue } from "./redis-snapshots";

const HOUR = 3_600_000;

describe("redis snapshot schedule", () => {
  it("is due at once when there is no snapshot yet", () => {
    expect(redisSnapshotDue("hourly", undefined, 0)).toBe(true);
  });

  it("is due once a full period has passed since the newest snapshot", () => {
    expect(redisSnapshotDue("hourly", 10 * HOUR, 11 * HOUR - 1)).toBe(false);
    expect(redisSnapshotDue("hourly", 10 * HOUR, 11 * HOUR)).toBe(true);
    expect(redisSnapshotDue("daily", 10 * HOUR, 33 * HOUR)).toBe(false);
    expect(redisSnapshotDue("daily", 10 * HOUR, 34 * HOUR)).toBe(true);
  });

  it("takes one snapshot after an outage, not one per missed period", () => {
    const afterOutage = 10 * HOUR + 5 * HOUR;
    expect(redisSnapshotDue("hourly", 10 * HOUR, afterOutage)).toBe(true);
    // Once taken, the next is a period later, whatever was missed.
    expect(redisSnapshotDue("hourly", afterOutage, afterOutage + HOUR - 1)).toBe(false);
  });
});
