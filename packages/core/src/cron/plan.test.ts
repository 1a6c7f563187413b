import { describe, expect, it } from "vitest";
import { planCron } from "./plan";
import { checkSchedule, nextFire } from "./schedule";

const t = (iso: string) => new Date(iso);

describe("planCron", () => {
  const daily = "0 3 * * *";

  it("does nothing before the first slot after `since`, and says when the next one is", () => {
    expect(
      planCron({
        schedule: daily,
        since: t("2026-01-01T10:00:00Z"),
        running: false,
        now: t("2026-01-02T02:59:59Z"),
      }),
    ).toEqual({
      do: "none",
      next: t("2026-01-02T03:00:00Z"),
    });
  });

  it("runs a due slot, once: that slot is then `since`", () => {
    const now = t("2026-01-02T03:00:00.400Z");
    const d = planCron({ schedule: daily, since: t("2026-01-01T10:00:00Z"), running: false, now });
    expect(d).toEqual({ do: "run", slot: t("2026-01-02T03:00:00Z"), next: t("2026-01-03T03:00:00Z") });
    expect(planCron({ schedule: daily, since: t("2026-01-02T03:00:00Z"), running: false, now }).do).toBe(
      "none",
    );
  });

  it("skips a due slot while the previous run still goes (no overlap)", () => {
    const d = planCron({
      schedule: "*/10 * * * * *",
      since: t("2026-01-01T00:00:00Z"),
      running: true,
      now: t("2026-01-01T00:00:10Z"),
    });
    expect(d).toEqual({ do: "skip", slot: t("2026-01-01T00:00:10Z"), next: t("2026-01-01T00:00:20Z") });
  });

  it("runs once, for the latest slot, after missing several (control plane down for days)", () => {
    const d = planCron({
      schedule: daily,
      since: t("2026-01-01T03:00:00Z"),
      running: false,
      now: t("2026-01-05T12:00:00Z"),
    });
    expect(d).toEqual({ do: "run", slot: t("2026-01-05T03:00:00Z"), next: t("2026-01-06T03:00:00Z") });
  });
});

describe("schedules", () => {
  it("are UTC and accept seconds as a sixth field", () => {
    expect(nextFire("30 9 * * *", t("2026-03-29T00:00:00Z"))).toEqual(t("2026-03-29T09:30:00Z"));
    expect(nextFire("*/15 * * * * *", t("2026-01-01T00:00:01Z"))).toEqual(t("2026-01-01T00:00:15Z"));
  });

  it("explain what is wrong", () => {
    expect(checkSchedule("0 25 * * *")).toEqual({ ok: false, error: expect.stringContaining("0-23") });
    expect(checkSchedule("daily")).toEqual({ ok: false, error: expect.stringContaining("5 fields") });
  });
});
