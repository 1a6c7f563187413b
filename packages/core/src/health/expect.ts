/**
 * Which HTTP status codes mean "healthy": the spec's `health.expect`, as codes (401) and
 * ranges ("200-399"). One meaning for the supervisor's readiness probe and the edge's check.
 */

/** Inclusive [low, high] status code range. */
export type StatusRange = [number, number];

/** What a health check accepts when the spec says nothing: any 2xx. */
export const DEFAULT_EXPECT: StatusRange[] = [[200, 299]];

/** `[200, "300-399"]` → `[[200, 200], [300, 399]]`; absent or empty → 2xx. Assumes validated input. */
export function statusRanges(expect?: readonly (number | string)[]): StatusRange[] {
  if (!expect?.length) return DEFAULT_EXPECT;
  return expect.map((e) => {
    if (typeof e === "number") return [e, e];
    const [low, high] = e.split("-").map(Number) as [number, number];
    return [low, high];
  });
}

export function acceptsStatus(ranges: readonly StatusRange[], status: number): boolean {
  return ranges.some(([low, high]) => status >= low && status <= high);
}

/** HAProxy's `http-check expect status` argument: "200-299" or "200,401". */
export function haproxyStatusList(ranges: readonly StatusRange[]): string {
  return ranges.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(",");
}

/** A range as the spec writes it: "200-399" (low ≤ high, both 100-599). */
export const STATUS_RANGE_PATTERN = /^([1-5]\d\d)-([1-5]\d\d)$/;
