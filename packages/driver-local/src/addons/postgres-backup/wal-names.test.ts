import { describe, expect, it } from "vitest";
import { newestTransactionEnd } from "./wal";
import { segmentOf, segmentOrder } from "./wal-names";

const MB16 = 16 * 1024 * 1024;

describe("WAL names", () => {
  it("names the segment holding a position, across the 4 GB boundary", () => {
    expect(segmentOf("0/3015E58", 1, MB16)).toBe("000000010000000000000003");
    expect(segmentOf("1/FF000000", 2, MB16)).toBe("0000000200000001000000FF");
    expect(segmentOf("2/0", 1, MB16)).toBe("000000010000000200000000");
    expect(["000000010000000200000000", "0000000100000001000000FF"].sort(segmentOrder)[0]).toBe(
      "0000000100000001000000FF",
    );
  });

  it("reads the newest transaction end from pg_waldump output, rounded up to the millisecond", () => {
    const out = [
      "rmgr: Transaction len (rec/tot): 34/34, tx: 735, lsn: 0/03016010, prev 0/03015FD0, desc: COMMIT 2026-11-30 10:32:24.051826 UTC",
      "rmgr: Transaction len (rec/tot): 34/34, tx: 736, lsn: 0/03016050, prev 0/03016010, desc: ABORT 2026-11-30 10:32:25.000000 UTC",
      "pg_waldump: error: error in WAL record at 0/3016050: invalid record length at 0/3016090: wanted 24, got 0",
    ].join("\n");
    expect(newestTransactionEnd(out)).toBe(Date.parse("2026-11-30T10:32:25.000Z"));
    expect(newestTransactionEnd(out.split("\n")[0]!)).toBe(Date.parse("2026-11-30T10:32:24.052Z"));
    expect(newestTransactionEnd("rmgr: Heap len 59, desc: INSERT off 1")).toBeUndefined();
  });
});
