/**
 * When to restart a crashed process. Pure: the supervisor records runs and asks; tests
 * drive it with plain numbers.
 */
export interface BackoffPolicy {
  /** Delay before the first restart. @default 1000 */
  initialMs: number;
  /** Delay never grows past this. @default 30000 */
  maxMs: number;
  /** Each quick crash multiplies the delay by this. @default 2 */
  factor: number;
  /** A run that lasted this long was healthy: the attempt count starts again. @default 60000 */
  resetAfterMs: number;
  /** This many quick crashes in a row is a crash loop: report it, retry at maxMs. @default 5 */
  crashloopAfter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
  crashloopAfter: 5,
};

/** One run of a process, from spawn (or adoption) to exit, in clock milliseconds. */
export interface RunRecord {
  startedAt: number;
  endedAt: number;
}

export interface RestartDecision {
  /** 1 for the first restart after a healthy run, 2 for the next quick crash… */
  attempt: number;
  delayMs: number;
  /** When to restart: now + delayMs. */
  at: number;
  crashloop: boolean;
}

/**
 * @param history runs oldest first; the last one is the crash being handled.
 * @example nextRestart([{ startedAt: 0, endedAt: 500 }], 500, DEFAULT_BACKOFF) // { attempt: 1, delayMs: 1000, at: 1500, crashloop: false }
 */
export function nextRestart(
  history: readonly RunRecord[],
  now: number,
  policy: BackoffPolicy,
): RestartDecision {
  const attempt = Math.max(1, quickCrashesInARow(history, policy.resetAfterMs));
  const crashloop = attempt >= policy.crashloopAfter;
  const grown = policy.initialMs * policy.factor ** (attempt - 1);
  const delayMs = crashloop ? policy.maxMs : Math.min(policy.maxMs, Math.round(grown));
  return { attempt, delayMs, at: now + delayMs, crashloop };
}

/** Counts back from the latest run; a run that stayed up resetAfterMs ends the streak (and counts itself). */
function quickCrashesInARow(history: readonly RunRecord[], resetAfterMs: number): number {
  let count = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const run = history[i]!;
    count++;
    if (run.endedAt - run.startedAt >= resetAfterMs) break;
  }
  return count;
}

/** Only the current streak matters to nextRestart; keeps the supervisor's memory bounded. */
export function trimHistory(history: readonly RunRecord[], policy: BackoffPolicy, keep = 100): RunRecord[] {
  const streak = quickCrashesInARow(history, policy.resetAfterMs);
  return history.slice(-Math.min(streak, keep));
}
