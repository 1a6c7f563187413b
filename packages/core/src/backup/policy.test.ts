import { describe, expect, it } from "vitest";
import { DEFAULT_BACKUP_POLICY, dueBackupWork, judgeDrill } from "./policy";

const H = 3_600_000;
const D = 24 * H;
const none = { lastBaseAt: undefined, firstBaseAt: undefined, lastDrillAt: undefined };

describe("dueBackupWork", () => {
  it("takes a first base backup at once and no drill before one exists", () => {
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, none, 0)).toEqual({ base: true, drill: false });
  });

  it("takes the next base backup a period after the last", () => {
    const h = { ...none, lastBaseAt: 0, firstBaseAt: 0 };
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, h, 24 * H - 1).base).toBe(false);
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, h, 24 * H).base).toBe(true);
  });

  it("drills a period after the first base backup, then a period after each drill", () => {
    const h = { lastBaseAt: 40 * D, firstBaseAt: 0, lastDrillAt: undefined };
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, h, 30 * D - 1).drill).toBe(false);
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, h, 30 * D).drill).toBe(true);
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, { ...h, lastDrillAt: 30 * D }, 59 * D).drill).toBe(false);
  });

  it("takes a first base backup of a restored copy the add-on was switched to", () => {
    const h = { lastBaseAt: 10 * H, firstBaseAt: 0, lastDrillAt: undefined, switchedAt: 11 * H };
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, h, 11 * H)).toEqual({ base: true, drill: false });
    expect(dueBackupWork(DEFAULT_BACKUP_POLICY, { ...h, lastBaseAt: 11 * H }, 12 * H).base).toBe(false);
  });

  it("does nothing when the policy is off", () => {
    expect(dueBackupWork({ ...DEFAULT_BACKUP_POLICY, enabled: false }, none, 0)).toEqual({
      base: false,
      drill: false,
    });
  });
});

describe("judgeDrill", () => {
  it("is over target past either limit, and over RPO when no heartbeat survived", () => {
    const p = { ...DEFAULT_BACKUP_POLICY, rpoTargetSeconds: 5, rtoTargetSeconds: 60 };
    expect(judgeDrill(p, { rpoMs: 5_000, rtoMs: 60_000 })).toEqual({ overRpo: false, overRto: false });
    expect(judgeDrill(p, { rpoMs: 5_001, rtoMs: 60_001 })).toEqual({ overRpo: true, overRto: true });
    expect(judgeDrill(p, { rpoMs: undefined, rtoMs: 1 }).overRpo).toBe(true);
  });
});
