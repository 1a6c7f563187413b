import { ERROR_CODES, type ErrorCode } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { HTTP_STATUS, problem } from "./problem";

describe("error code → HTTP status", () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it("maps every code of the catalogue, and nothing else", () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...codes].sort());
    for (const code of codes) expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
  });

  it("answers 500 only for a bug", () => {
    expect(codes.filter((c) => HTTP_STATUS[c] === 500)).toEqual(["SLW_INTERNAL"]);
    expect(problem("SLW_BINARY_MISSING", "no haproxy").status).toBe(503);
  });
});
