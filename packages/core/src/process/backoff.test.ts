import { describe, expect, it } from "vitest";
import { type BackoffPolicy, DEFAULT_BACKOFF, nextRestart, type RunRecord, trimHistory } from "./backoff";

const policy: BackoffPolicy = DEFAULT_BACKOFF;

/** Runs that each crash after `upMs`, restarted after the delay nextRestart asked for. */
function crashes(count: number, upMs: number, from = 0): { history: RunRecord[]; now: number } {
  const history: RunRecord[] = [];
  let now = from;
  for (let i = 0; i < count; i++) {
    history.push({ startedAt: now, endedAt: now + upMs });
    now += upMs;
    if (i < count - 1) now = nextRestart(history, now, policy).at;
  }
  return { history, now };
}

describe("nextRestart", () => {
  it("doubles the delay on each quick crash: 1 s, 2 s, 4 s, 8 s", () => {
    const delays = [1, 2, 3, 4].map((n) => {
      const { history, now } = crashes(n, 500);
      return nextRestart(history, now, policy).delayMs;
    });
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it("says when to restart, counting from now", () => {
    const d = nextRestart([{ startedAt: 10_000, endedAt: 10_500 }], 10_500, policy);
    expect(d).toEqual({ attempt: 1, delayMs: 1_000, at: 11_500, crashloop: false });
  });

  it("reports a crash loop after crashloopAfter quick crashes and then retries at maxMs", () => {
    const before = crashes(4, 500);
    expect(nextRestart(before.history, before.now, policy).crashloop).toBe(false);
    for (const n of [5, 6, 20]) {
      const { history, now } = crashes(n, 500);
      expect(nextRestart(history, now, policy)).toMatchObject({
        attempt: n,
        delayMs: 30_000,
        crashloop: true,
      });
    }
  });

  it("never waits longer than maxMs even before the crash loop", () => {
    const slow: BackoffPolicy = { ...policy, initialMs: 20_000, crashloopAfter: 100 };
    const history = [1, 2, 3].map((i) => ({ startedAt: i * 100_000, endedAt: i * 100_000 + 10 }));
    expect(nextRestart(history, 300_010, slow).delayMs).toBe(30_000);
  });

  it("starts counting again after a run that stayed up resetAfterMs", () => {
    const loop = crashes(7, 500);
    const healthy = { startedAt: loop.now + 30_000, endedAt: loop.now + 30_000 + 60_000 };
    const history = [...loop.history, healthy];
    expect(nextRestart(history, healthy.endedAt, policy)).toMatchObject({
      attempt: 1,
      delayMs: 1_000,
      crashloop: false,
    });
    const next = { startedAt: healthy.endedAt + 1_000, endedAt: healthy.endedAt + 1_200 };
    expect(nextRestart([...history, next], next.endedAt, policy)).toMatchObject({
      attempt: 2,
      delayMs: 2_000,
    });
  });

  it("treats a run just under resetAfterMs as a quick crash", () => {
    const history = [
      { startedAt: 0, endedAt: 100 },
      { startedAt: 1_100, endedAt: 1_100 + 59_999 },
    ];
    expect(nextRestart(history, 61_099, policy).attempt).toBe(2);
  });

  it("copes with an empty history as a first crash", () => {
    expect(nextRestart([], 5, policy)).toMatchObject({ attempt: 1, delayMs: 1_000, at: 1_005 });
  });
});

describe("trimHistory", () => {
  it("keeps the current streak, so decisions do not change", () => {
    const loop = crashes(3, 500);
    const healthy = { startedAt: loop.now + 1_000, endedAt: loop.now + 100_000 };
    const history = [...loop.history, healthy, { startedAt: 101_000, endedAt: 101_100 }];
    const trimmed = trimHistory(history, policy);
    expect(trimmed).toEqual(history.slice(-2));
    expect(nextRestart(trimmed, 101_100, policy)).toEqual(nextRestart(history, 101_100, policy));
  });

  it("caps a long crash loop", () => {
    expect(trimHistory(crashes(150, 10).history, policy)).toHaveLength(100);
  });
});
