import { CronExpressionParser } from "cron-parser";

/**
 * Cron schedules as pure functions of a time. Five fields (minute hour day-of-month month
 * day-of-week, as in crontab) or six with a leading seconds field; names (`mon`, `jan`),
 * ranges, lists and steps; `@hourly`, `@daily`… Evaluated in UTC, so a schedule means the same
 * on every machine and across daylight-saving changes.
 */

export type ScheduleCheck = { ok: true } | { ok: false; error: string };

export function checkSchedule(expression: string): ScheduleCheck {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith("@") && (fields.length < 5 || fields.length > 6))
    return {
      ok: false,
      error: `a schedule has 5 fields (minute hour day month weekday) or 6 (seconds first); this has ${fields.length}`,
    };
  try {
    CronExpressionParser.parse(expression, { tz: "UTC", strict: false });
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The first time strictly after `after` that the schedule fires. */
export function nextFire(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { tz: "UTC", currentDate: after }).next().toDate();
}

/** The last time at or before `at` that the schedule fired, if any since `since` (exclusive). */
export function lastFire(expression: string, since: Date, at: Date): Date | undefined {
  // Walking forward from `since` would be slow after a long outage; step back from `at` instead.
  const fire = CronExpressionParser.parse(expression, {
    tz: "UTC",
    currentDate: new Date(at.getTime() + 1),
  })
    .prev()
    .toDate();
  return fire.getTime() > since.getTime() ? fire : undefined;
}
