/** A period in which nothing is deployed or promoted: once (ISO date-times) or weekly (UTC days and times). */
export type FreezeWindow =
  | { from: string; until: string; reason?: string | undefined }
  | { days: string[]; from: string; until: string; reason?: string | undefined };

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The window `now` falls in, if any. Windows include their start and exclude their end. */
export function activeFreeze(windows: readonly FreezeWindow[], now: number): FreezeWindow | undefined {
  return windows.find((w) => {
    if (!("days" in w)) return Date.parse(w.from) <= now && now < Date.parse(w.until);
    const at = new Date(now);
    if (!w.days.includes(DAYS[at.getUTCDay()]!)) return false;
    const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
    // "00:00" as the end means the end of the day.
    const until = w.until === "00:00" ? 24 * 60 : minutesOf(w.until);
    return minutesOf(w.from) <= minute && minute < until;
  });
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** "until 2027-01-04T00:00:00Z (holidays)" / "on fri, sat 16:00–24:00 UTC": how a refusal names the window. */
export function describeFreeze(w: FreezeWindow): string {
  const when =
    "days" in w
      ? `on ${w.days.join(", ")} ${w.from}–${w.until === "00:00" ? "24:00" : w.until} UTC`
      : `from ${w.from} until ${w.until}`;
  return w.reason ? `${when} (${w.reason})` : when;
}
