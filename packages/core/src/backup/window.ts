import { SlipwayError } from "../errors";
import type { BaseBackup, RecoverableWindow, RestoreTarget } from "./types";

/**
 * From the oldest verified base backup's consistency point to the newest commit in the
 * archived WAL. Recovery can only stop at a commit, so a target after the last one archived
 * would end with "recovery ended before configured recovery target was reached": the window
 * ends there. Undefined when there is no verified backup.
 */
export function recoverableWindow(
  backups: readonly BaseBackup[],
  lastCommitAt: number | undefined,
): RecoverableWindow | undefined {
  const usable = backups.filter((b) => b.verified);
  if (usable.length === 0) return undefined;
  const earliest = Math.min(...usable.map((b) => b.endedAt));
  const newestEnd = Math.max(...usable.map((b) => b.endedAt));
  return { earliest, latest: Math.max(newestEnd, lastCommitAt ?? 0) };
}

/** How a restore runs: from which base backup, and where replay stops. */
export interface RestorePlan {
  base: BaseBackup;
  /** `undefined`: replay every archived record (the target is at or after the last commit). */
  stopAt: number | undefined;
}

/**
 * Picks the newest verified base backup that a target can be reached from, and refuses a
 * target outside the window with the window in the message. A target at or after the last
 * archived commit replays everything: no commit lies between it and the target.
 */
export function planRestore(
  backups: readonly BaseBackup[],
  lastCommitAt: number | undefined,
  target: RestoreTarget,
): RestorePlan {
  const window = recoverableWindow(backups, lastCommitAt);
  const usable = backups.filter((b) => b.verified).sort((a, b) => b.endedAt - a.endedAt);
  if (!window || usable.length === 0)
    throw new SlipwayError(
      "SLW_RESTORE_OUT_OF_WINDOW",
      "there is no verified base backup to restore from",
      "take one first (a base backup is verified right after it is taken)",
      { window: null },
    );
  if (target.kind === "latest") return { base: usable[0]!, stopAt: undefined };
  if (target.at < window.earliest || target.at > window.latest)
    throw new SlipwayError(
      "SLW_RESTORE_OUT_OF_WINDOW",
      `cannot restore to ${iso(target.at)}: the recoverable window is ${iso(window.earliest)} .. ${iso(window.latest)}`,
      "choose a time inside the window, or restore the latest state",
      { target: iso(target.at), earliest: iso(window.earliest), latest: iso(window.latest) },
    );
  const base = usable.find((b) => b.endedAt <= target.at)!;
  const replayAll = lastCommitAt === undefined || target.at >= lastCommitAt;
  return { base, stopAt: replayAll ? undefined : target.at };
}

const iso = (ms: number) => new Date(ms).toISOString();
