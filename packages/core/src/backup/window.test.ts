import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../errors";
import type { BaseBackup } from "./types";
import { planRestore, recoverableWindow } from "./window";

const backup = (id: string, endedAt: number, verified = true): BaseBackup => ({
  id,
  startLsn: "0/1000000",
  endLsn: "0/2000000",
  startedAt: endedAt - 10,
  endedAt,
  verified,
});

describe("recoverable window", () => {
  it("runs from the oldest verified backup's end to the last archived commit", () => {
    const backups = [backup("a", 1_000), backup("b", 5_000), backup("bad", 500, false)];
    expect(recoverableWindow(backups, 9_000)).toEqual({ earliest: 1_000, latest: 9_000 });
    expect(recoverableWindow([backup("bad", 500, false)], 9_000)).toBeUndefined();
  });
});

describe("planRestore", () => {
  const backups = [backup("a", 1_000), backup("b", 5_000), backup("c", 4_000, false)];

  it("replays from the newest verified backup that ended before the target, and stops there", () => {
    expect(planRestore(backups, 9_000, { kind: "time", at: 4_500 })).toMatchObject({
      base: { id: "a" },
      stopAt: 4_500,
    });
    expect(planRestore(backups, 9_000, { kind: "time", at: 5_000 })).toMatchObject({ base: { id: "b" } });
  });

  it("restores latest from the newest verified backup and replays everything", () => {
    expect(planRestore(backups, 9_000, { kind: "latest" })).toMatchObject({
      base: { id: "b" },
      stopAt: undefined,
    });
  });

  it("replays everything for a target at or after the last archived commit", () => {
    expect(planRestore(backups, 5_500, { kind: "time", at: 5_500 }).stopAt).toBeUndefined();
  });

  it("refuses a target outside the window, naming the window", () => {
    for (const at of [999, 9_001]) {
      try {
        planRestore(backups, 9_000, { kind: "time", at });
        expect.unreachable();
      } catch (e) {
        expect(isSlipwayError(e) && e.code).toBe("SLW_RESTORE_OUT_OF_WINDOW");
        expect((e as Error).message).toContain("1970-01-01T00:00:01.000Z .. 1970-01-01T00:00:09.000Z");
      }
    }
  });

  it("refuses when no backup is verified", () => {
    expect(() => planRestore([backup("c", 4_000, false)], 9_000, { kind: "latest" })).toThrow(
      /no verified base backup/,
    );
  });
});
