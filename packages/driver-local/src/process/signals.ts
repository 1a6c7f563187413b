import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "@slipway/core";
import { liveGroupMembers } from "./proc";

const WATCH_MS = 50;
/** After SIGKILL only an uninterruptible sleep (D state) keeps a process; don't wait forever. */
const KILL_WAIT_MS = 5_000;

/**
 * SIGTERM to the whole group (the service and anything it forked), wait up to drainMs for
 * it to empty, then SIGKILL. Every process we start leads its own group (detached), so the
 * group id is the handle's pid; the kernel does not reuse a pid while its group exists.
 */
export async function terminateGroup(pgid: number, drainMs: number): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  if (await groupEmptied(pgid, drainMs)) return;
  signalGroup(pgid, "SIGKILL");
  if (await groupEmptied(pgid, KILL_WAIT_MS)) return;
  throw new SlipwayError(
    "SLW_PROCESS_FAILED",
    `process group ${pgid} survived SIGKILL for ${KILL_WAIT_MS / 1000} s`,
    `look at it with: ps -o pid,stat,wchan,cmd -g ${pgid}   (state D means it is stuck in the kernel, often on a dead mount)`,
    { pgid, members: liveGroupMembers(pgid) },
  );
}

/**
 * Kills what a crashed service left behind (e.g. a forked worker still holding the port).
 * Best effort and never throws: it runs from exit handlers, where a throw would take the
 * control plane down; the restart that follows reports any real problem.
 */
export function killStragglers(pgid: number): void {
  try {
    signalGroup(pgid, "SIGKILL");
  } catch {}
}

/** Signals the group if anything in it still lives; false when it was already empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (liveGroupMembers(pgid).length === 0) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    throw new SlipwayError(
      "SLW_PROCESS_FAILED",
      `could not send ${signal} to process group ${pgid}: ${code}`,
      "the process belongs to another user; run the control plane as the user (or root) that started it",
      { pgid, signal, code },
    );
  }
}

async function groupEmptied(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (liveGroupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(WATCH_MS, Math.max(1, deadline - Date.now())));
  }
}
