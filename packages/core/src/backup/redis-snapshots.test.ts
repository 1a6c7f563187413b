import { describe, expect, it } from "vitest";
import { expiredRedisSnapshots, redisSnapshotDue, redisSnapshotFor } from "./redis-snapshots";

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

describe("redis snapshot retention and choice", () => {
  const snaps = [
    { id: "a", takenAt: 1 * HOUR },
    { id: "b", takenAt: 5 * HOUR },
    { id: "c", takenAt: 9 * HOUR },
  ];

  it("removes only snapshots taken before the period, never the newest", () => {
    expect(expiredRedisSnapshots(snaps, 10 * HOUR, 6 * HOUR)).toEqual(["a"]);
    expect(expiredRedisSnapshots(snaps, 10 * HOUR, 5 * HOUR)).toEqual(["a"]);
    expect(expiredRedisSnapshots(snaps, 100 * HOUR, HOUR)).toEqual(["a", "b"]);
    expect(expiredRedisSnapshots([], 100 * HOUR, HOUR)).toEqual([]);
  });

  it("restores to a time from the newest snapshot taken at or before it", () => {
    expect(redisSnapshotFor(snaps, { kind: "latest" })?.id).toBe("c");
    expect(redisSnapshotFor(snaps, { kind: "time", at: 5 * HOUR })?.id).toBe("b");
    expect(redisSnapshotFor(snaps, { kind: "time", at: 8 * HOUR })?.id).toBe("b");
    expect(redisSnapshotFor(snaps, { kind: "time", at: HOUR - 1 })).toBeUndefined();
  });
});
