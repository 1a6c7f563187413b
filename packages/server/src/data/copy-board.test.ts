import { isSlipwayError, SlipwayError } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { CopyBoard } from "./copy-board";

const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (e) {
    if (isSlipwayError(e)) return e;
  }
  throw new Error("expected a refusal");
};

describe("CopyBoard", () => {
  it("shows each table's latest rows of its total, in the order tables were heard of", () => {
    const board = new CopyBoard(() => 0);
    const view = board.begin("prod", "staging", "db");
    board.progress(view, { table: "customers", rows: 0, total: 60 });
    board.progress(view, { table: "orders", rows: 0, total: 180 });
    board.progress(view, { table: "customers", rows: 60, total: 60 });
    board.progress(view, { table: "orders", rows: 100, total: 180 });
    expect(board.get(view.id).tables).toEqual([
      { table: "customers", rows: 60, total: 60 },
      { table: "orders", rows: 100, total: 180 },
    ]);
    expect(board.get(view.id).state).toBe("running");
  });

  it("refuses a second copy into an environment while one runs, and allows it once that one ends", () => {
    const board = new CopyBoard(() => 0);
    const first = board.begin("prod", "staging", "db");
    const e = refusal(() => board.begin("prod", "staging", "db"));
    expect(e.code).toBe("SLW_CONFLICT");
    expect(e.message).toContain(`copy ${first.id} into staging is still running`);
    expect(board.begin("prod", "dev", "db").state).toBe("running");
    board.succeeded(first, "shop");
    expect(board.get(first.id)).toMatchObject({ state: "succeeded", database: "shop" });
    expect(board.begin("prod", "staging", "db").state).toBe("running");
  });

  it("keeps a failure's code, message and hint for the poller", () => {
    const board = new CopyBoard(() => Date.parse("2026-11-30T17:00:00Z"));
    const view = board.begin("prod", "staging", "db");
    board.failed(view, new SlipwayError("SLW_MASK_REFUSED", "data.mask.tickets: no rule", "add one"));
    expect(board.get(view.id)).toMatchObject({
      state: "failed",
      finishedAt: "2026-11-30T17:00:00.000Z",
      error: { code: "SLW_MASK_REFUSED", message: "data.mask.tickets: no rule", hint: "add one" },
    });
  });

  it("forgets the oldest finished copies past twenty; an unknown id is a 404 that says where to look", () => {
    const board = new CopyBoard(() => 0);
    const ids = Array.from({ length: 21 }, () => {
      const v = board.begin("prod", "staging", "db");
      board.succeeded(v, "shop");
      return v.id;
    });
    expect(refusal(() => board.get(ids[0]!)).code).toBe("SLW_NOT_FOUND");
    expect(board.get(ids[20]!).state).toBe("succeeded");
    expect(refusal(() => board.get("nope")).hint).toContain("slipway events");
  });
});
