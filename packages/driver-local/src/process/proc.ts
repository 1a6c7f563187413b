import { readdirSync, readFileSync } from "node:fs";
import { hasExited, type ProcStat, parseProcStat } from "@slipway/core";

/** /proc/<pid>/stat, or undefined when there is no such process (or /proc is unreadable). */
export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; with the pid it names one process for the life of the machine. */
export function readStartTime(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/**
 * True while the process that had this pid (and start time, when given) still runs. A zombie
 * counts as gone: it has exited and only waits for a parent (maybe not us) to reap it; our own
 * children outlive a killed control plane and may never be reaped by this machine's PID 1.
 * Reading /proc answers existence, identity and zombie state at once, which `kill(pid, 0)` cannot.
 */
export function isAlive(pid: number, startTime?: string): boolean {
  if (pid <= 0) return false;
  const stat = readStat(pid);
  return stat !== undefined && (startTime === undefined || stat.startTime === startTime) && !hasExited(stat);
}

/**
 * Pids of the live (non-zombie) processes in a process group. Unlike `kill(-pgid, 0)` this
 * ignores exited members that nobody reaped yet (a container's PID 1 often does not), so
 * waiting for a group to empty cannot hang on them.
 */
export function liveGroupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && !hasExited(stat)) members.push(stat.pid);
  }
  return members;
}

/**
 * The process group leader started with `SLIPWAY_PROCESS_NONCE=<nonce>` in its environment:
 * how a control plane killed between a spawn and recording its pid finds the process again.
 * Reads /proc/<pid>/environ, which only the process's user and root can.
 */
export function findByNonce(nonce: string): { pid: number; startTime: string } | undefined {
  const needle = `\0SLIPWAY_PROCESS_NONCE=${nonce}\0`;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (!stat || stat.pgrp !== stat.pid || hasExited(stat)) continue;
    try {
      if (`\0${readFileSync(`/proc/${name}/environ`, "latin1")}`.includes(needle))
        return { pid: stat.pid, startTime: stat.startTime };
    } catch {}
  }
  return undefined;
}
