/** The fields of /proc/<pid>/stat the supervisor needs (see proc(5)). */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R running, S sleeping, D disk wait, Z zombie, T stopped, X dead… */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22, clock ticks after boot; a string because it is a u64 and only compared. */
  startTime: string;
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may
 * itself contain spaces and ")", so the fields after it start after the LAST ")".
 * Returns undefined for text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const [state, ppid, pgrp, startTime] = [rest[0], rest[1], rest[2], rest[19]];
  if (!Number.isInteger(pid) || !state || !ppid || !pgrp || !startTime || !/^\d+$/.test(startTime))
    return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid: Number(ppid), pgrp: Number(pgrp), startTime };
}

/** A zombie has exited and only waits to be reaped; a dead (X) one is on its way out. */
export function hasExited(stat: ProcStat): boolean {
  return stat.state === "Z" || stat.state === "X";
}
