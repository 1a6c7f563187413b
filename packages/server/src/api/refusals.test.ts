import type { NewEvent } from "@slipway/store";
import { describe, expect, it } from "vitest";
import { RefusalLog } from "./refusals";

const refusal = (actor: string): NewEvent => ({
  actor,
  kind: "auth.denied",
  subject: "/v1/tokens",
  message: `viewer token "${actor}" may not GET /v1/tokens`,
  data: { status: 403 },
});

describe("RefusalLog", () => {
  const setup = () => {
    let now = 0;
    const written: NewEvent[] = [];
    const log = new RefusalLog(
      async (e) => written.push(e),
      60_000,
      () => now,
    );
    return { log, written, tick: (ms: number) => (now += ms) };
  };

  it("writes the first refusal at once and folds the repeats of that minute into one summary", async () => {
    const { log, written, tick } = setup();
    for (let i = 0; i < 10_100; i++) await log.record("a", refusal("a"));
    expect(written).toHaveLength(1);
    tick(59_999);
    await log.flush();
    expect(written).toHaveLength(1);
    tick(1);
    await log.flush();
    expect(written).toHaveLength(2);
    expect(written[1]!.message).toContain("refused 10099 more times in 60 s");
    expect(written[1]!.data).toMatchObject({ status: 403, repeats: 10_099 });
  });

  it("keeps callers apart, writes nothing for a window without repeats, and opens a new window after one closes", async () => {
    const { log, written, tick } = setup();
    await log.record("a", refusal("a"));
    await log.record("b", refusal("b"));
    tick(60_000);
    await log.record("a", refusal("a"));
    expect(written.map((e) => e.actor)).toEqual(["a", "b", "a"]);
    await log.record("a", refusal("a"));
    await log.flush(true);
    expect(written.map((e) => e.data?.repeats)).toEqual([undefined, undefined, undefined, 1]);
  });
});
