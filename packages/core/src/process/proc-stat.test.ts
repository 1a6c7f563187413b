import { describe, expect, it } from "vitest";
import { hasExited, parseProcStat } from "./proc-stat";

// Fields 3..52 of a real line from `cat /proc/self/stat` (field 22, the start time, is 100050).
const tail =
  "R 4104 4104 2594 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 100050 3133440 380 18446744073709551615 " +
  "94773610549248 94773610569129 140726053410720 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94773610585136 " +
  "94773610586752 94774162452480 140726053411544 140726053411564 140726053411564 140726053412843 0";

describe("parseProcStat", () => {
  it("reads pid, state, ppid, process group and start time", () => {
    expect(parseProcStat(`4114 (cat) ${tail}\n`)).toEqual({
      pid: 4114,
      comm: "cat",
      state: "R",
      ppid: 4104,
      pgrp: 4104,
      startTime: "100050",
    });
  });

  it.each([
    ["spaces", "my server"],
    ["a closing parenthesis", "evil) Z 1 1 1"],
    ["nested parentheses", "((x)) (y)"],
    ["an empty name", ""],
  ])("copes with a command name containing %s", (_, comm) => {
    const stat = parseProcStat(`77 (${comm}) ${tail}`);
    expect(stat).toMatchObject({ pid: 77, comm, state: "R", startTime: "100050" });
  });

  it("rejects text that is not a stat line", () => {
    expect(parseProcStat("")).toBeUndefined();
    expect(parseProcStat("garbage")).toBeUndefined();
    expect(parseProcStat("12 (short) R 1 1")).toBeUndefined();
    expect(parseProcStat(`x (cat) ${tail}`)).toBeUndefined();
  });
});

describe("hasExited", () => {
  it("counts zombies and dead processes as exited, sleepers as alive", () => {
    const stat = parseProcStat(`1 (a) ${tail}`)!;
    expect(hasExited({ ...stat, state: "Z" })).toBe(true);
    expect(hasExited({ ...stat, state: "X" })).toBe(true);
    expect(hasExited({ ...stat, state: "S" })).toBe(false);
  });
});
