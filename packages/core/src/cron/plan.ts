import { lastFire, nextFire } from "./schedule";

/** What the scheduler knows about one cron service at one tick. */
export interface CronSnapshot {
  schedule: string;
  /** Slots at or before this have been handled (the last recorded run's slot, or when the service appeared). */
  since: Date;
  /** A run of this service has not finished yet. */
  running: boolean;
  now: Date;
}

export type CronDecision =
  | { do: "none"; next: Date }
  /** Start a run for this slot; record it first. */
  | { do: "run"; slot: Date; next: Date }
  /** The slot is due but the previous run is still going: no overlap, record the skip. */
  | { do: "skip"; slot: Date; next: Date };

/**
 * The one decision of a cron tick, pure. Only the latest due slot counts: after the control
 * plane was down across several slots, the service runs once, not once per missed slot.
 */
export function planCron(s: CronSnapshot): CronDecision {
  const next = nextFire(s.schedule, s.now);
  const slot = lastFire(s.schedule, s.since, s.now);
  if (!slot) return { do: "none", next };
  return { do: s.running ? "skip" : "run", slot, next };
}
