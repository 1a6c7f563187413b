import { describe, expect, it } from "vitest";
import { planExpiry } from "./retention";
import type { BaseBackup } from "./types";

const DAY = 86_400_000;
const backup = (id: string, day: number, verified = true): BaseBackup => ({
  id,
  startLsn: `0/${day}000000`,
  endLsn: `0/${day}100000`,
  startedAt: day * DAY - 1,
  endedAt: day * DAY,
  verified,
});

describe("planExpiry", () => {
  const now = 40 * DAY;
  const retention = 35 * DAY; // cutoff: day 5

  it("keeps the newest backup before the cutoff, so the period's first instant stays restorable", () => {
    const plan = planExpiry(
      [backup("d1", 1), backup("d3", 3), backup("d4", 4), backup("d10", 10)],
      now,
      retention,
    );
    expect(plan.backups.sort()).toEqual(["d1", "d3"]);
    expect(plan.walBefore).toBe("0/4000000");
  });

  it("keeps a backup ending exactly at the cutoff as the anchor and drops the older ones", () => {
    const plan = planExpiry([backup("d4", 4), backup("d5", 5), backup("d9", 9)], now, retention);
    expect(plan).toEqual({ backups: ["d4"], walBefore: "0/5000000" });
  });

  it("never removes the newest verified backup, however old", () => {
    const plan = planExpiry([backup("d1", 1), backup("d2", 2)], now, retention);
    expect(plan).toEqual({ backups: ["d1"], walBefore: "0/2000000" });
  });

  it("removes old unverified backups but never counts them as anchors", () => {
    const plan = planExpiry([backup("d3", 3), backup("bad4", 4, false), backup("d8", 8)], now, retention);
    expect(plan).toEqual({ backups: [], walBefore: "0/3000000" });
    const later = planExpiry([backup("bad1", 1, false), backup("d3", 3), backup("d8", 8)], now, retention);
    expect(later.backups).toEqual(["bad1"]);
  });

  it("removes nothing when there is no verified backup", () => {
    expect(planExpiry([backup("bad", 1, false)], now, retention)).toEqual({
      backups: [],
      walBefore: undefined,
    });
  });
});
