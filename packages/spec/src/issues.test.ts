import { describe, expect, it } from "vitest";
import { describeValue, formatIssues, formatPath, type SpecIssue } from "./issues";

describe("formatPath", () => {
  it("dots plain keys and brackets indices", () => {
    expect(formatPath(["services", "api", "scale", "min"])).toBe("services.api.scale.min");
    expect(formatPath(["routes", 0, "service"])).toBe("routes[0].service");
    expect(formatPath(["services", "my-api"])).toBe("services.my-api");
  });

  it("JSON-quotes keys that could confuse a reader or a terminal", () => {
    expect(formatPath(["services", "my api"])).toBe('services["my api"]');
    expect(formatPath(["services", "x\ny"])).toBe('services["x\\ny"]');
    expect(formatPath(["services", "$(rm -rf /)"])).toBe('services["$(rm -rf /)"]');
    expect(formatPath(["services", "\u001b[31mred"])).toBe('services["\\u001b[31mred"]');
  });
});

describe("describeValue", () => {
  it("quotes strings safely and names other kinds", () => {
    expect(describeValue("a'b\n")).toBe('"a\'b\\n"');
    expect(describeValue(undefined)).toBe("nothing");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(-1)).toBe("-1");
    expect(describeValue([1])).toBe("an array of 1 item");
    expect(describeValue({})).toBe("an object");
  });

  it("shortens long strings", () => {
    expect(describeValue("x".repeat(200))).toBe(`"${"x".repeat(60)}…"`);
  });
});

describe("formatIssues", () => {
  const issue: SpecIssue = {
    code: "SLW_SPEC_INVALID",
    file: "slipway.config.ts",
    path: ["services", "api", "scale", "min"],
    message: "expected a number >= 0, got -1",
    hint: "set it to 0 or more",
  };

  it("writes one line per issue: file, path, what was expected and found, the fix", () => {
    expect(
      formatIssues([issue, { ...issue, path: [], message: "no such file", hint: "check the path." }]),
    ).toBe(
      [
        "slipway.config.ts: services.api.scale.min: expected a number >= 0, got -1. Fix: set it to 0 or more.",
        "slipway.config.ts: no such file. Fix: check the path.",
      ].join("\n"),
    );
  });
});
