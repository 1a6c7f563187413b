import { describe, expect, it } from "vitest";
import { DEFAULT_POLICIES, publishedVersions, rotationStatus } from "./rotation";

const DAY = 86_400_000;
const t0 = Date.parse("2026-01-01T00:00:00Z");

describe("rotationStatus", () => {
  it("is ok, then due soon a week before, then overdue by whole days", () => {
    const v = { version: 1, createdAt: t0 };
    expect(rotationStatus(v, DEFAULT_POLICIES.jwt, t0 + 10 * DAY).state).toBe("ok");
    expect(rotationStatus(v, DEFAULT_POLICIES.jwt, t0 + 85 * DAY).state).toBe("due-soon");
    expect(rotationStatus(v, DEFAULT_POLICIES.jwt, t0 + 93 * DAY)).toEqual({
      state: "overdue",
      dueAt: t0 + 90 * DAY,
      overdueDays: 3,
    });
    expect(rotationStatus(v, undefined, t0 + 1000 * DAY).state).toBe("no-policy");
  });
});

describe("publishedVersions", () => {
  const versions = [
    { version: 1, createdAt: t0 },
    { version: 2, createdAt: t0 + 90 * DAY },
  ];

  it("publishes the previous value during the overlap after a rotation, then withdraws it", () => {
    const rotatedAt = t0 + 90 * DAY;
    expect(publishedVersions(versions, { overlapHours: 24 }, rotatedAt + 3_600_000)).toEqual({
      current: 2,
      previous: 1,
      withdrawAt: rotatedAt + DAY,
    });
    expect(publishedVersions(versions, { overlapHours: 24 }, rotatedAt + DAY)).toEqual({ current: 2 });
  });

  it("publishes only the current value without a policy or with a single version", () => {
    expect(publishedVersions(versions, undefined, t0 + 90 * DAY)).toEqual({ current: 2 });
    expect(publishedVersions(versions.slice(0, 1), { overlapHours: 24 }, t0)).toEqual({ current: 1 });
    expect(publishedVersions([], undefined, t0)).toBeUndefined();
  });
});
