import { describe, expect, it } from "vitest";
import { acceptsStatus, haproxyStatusList, statusRanges } from "./expect";

describe("health expect", () => {
  it("accepts any 2xx when the spec says nothing", () => {
    const r = statusRanges(undefined);
    expect([200, 204, 299].every((s) => acceptsStatus(r, s))).toBe(true);
    expect([199, 301, 401, 500].some((s) => acceptsStatus(r, s))).toBe(false);
    expect(haproxyStatusList(r)).toBe("200-299");
  });

  it("accepts exactly the listed codes and ranges, and says so to HAProxy", () => {
    const r = statusRanges([200, 401, "300-399"]);
    expect([200, 401, 302].every((s) => acceptsStatus(r, s))).toBe(true);
    expect([201, 404, 500].some((s) => acceptsStatus(r, s))).toBe(false);
    expect(haproxyStatusList(r)).toBe("200,401,300-399");
  });
});
