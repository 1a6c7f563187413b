import type { NewEvent } from "@slipway/store";

interface Window {
  first: NewEvent;
  openedAt: number;
  repeats: number;
}

/**
 * Folds refused calls into the audit log so a flood cannot bury it: the first refusal of a
 * caller on a route is written at once; the same refusal repeated within `windowMs` is only
 * counted, and one summarising event with the count is written when the window closes. The
 * log stays append-only; at most the count of one open window is lost in a crash.
 */
export class RefusalLog {
  private readonly open = new Map<string, Window>();

  constructor(
    private readonly append: (e: NewEvent) => Promise<unknown>,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one refusal; `key` names who was refused where (never the token presented). */
  async record(key: string, e: NewEvent): Promise<void> {
    await this.flush();
    const w = this.open.get(key);
    if (w) {
      w.repeats++;
      return;
    }
    this.open.set(key, { first: e, openedAt: this.now(), repeats: 0 });
    await this.append(e);
  }

  /** Closes the windows that are over (all of them with `all`), writing one summary for each that saw repeats. */
  async flush(all = false): Promise<void> {
    const now = this.now();
    for (const [key, w] of this.open) {
      if (!all && now - w.openedAt < this.windowMs) continue;
      this.open.delete(key);
      if (w.repeats > 0) await this.append(summary(w, now));
    }
  }
}

function summary(w: Window, now: number): NewEvent {
  const seconds = Math.max(1, Math.round((now - w.openedAt) / 1000));
  return {
    ...w.first,
    message: `${w.first.message} (refused ${w.repeats} more time${w.repeats === 1 ? "" : "s"} in ${seconds} s)`,
    data: { ...w.first.data, repeats: w.repeats, since: new Date(w.openedAt).toISOString() },
  };
}
