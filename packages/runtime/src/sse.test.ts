import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";

describe("SseParser", () => {
  it("joins events split across chunks and drops heartbeats", () => {
    const p = new SseParser();
    expect(p.push(": ping\n\nevent: flags\nda")).toEqual([]);
    expect(p.push('ta: {"a":1}\n\nevent: flags\r\ndata: 2\r\n\r\n')).toEqual([
      { event: "flags", data: '{"a":1}' },
      { event: "flags", data: "2" },
    ]);
  });
});
