import { randomUUID } from "node:crypto";
import { isSlipwayError, SlipwayError, type TableCopyProgress } from "@slipway/core";

/** A masked copy as `GET /v1/data/copies/{id}` shows it while it runs and after. */
export interface CopyView {
  id: string;
  from: string;
  to: string;
  addon: string;
  state: "running" | "succeeded" | "failed";
  startedAt: string;
  finishedAt: string | null;
  /** The database copied, once done. */
  database: string | null;
  /** Every table of the plan in load order (parents first), rows landed of the source's total. */
  tables: TableCopyProgress[];
  error: { code: string; message: string; hint?: string } | null;
}

/** Finished copies kept for late pollers; the events hold the lasting record. */
const KEEP_FINISHED = 20;

/**
 * The copies this control plane runs, in memory: progress is a view of work in flight, not a
 * decision. A control plane that stops mid-copy rolls the target's transaction back, so a copy
 * never outlives it; the `data.copy.*` events are what lasts.
 */
export class CopyBoard {
  private readonly copies = new Map<string, CopyView>();

  constructor(private readonly now: () => number) {}

  /** Starts a copy's view; refused while another copy writes into the same environment. */
  begin(from: string, to: string, addon: string): CopyView {
    const busy = [...this.copies.values()].find((c) => c.to === to && c.state === "running");
    if (busy)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `copy ${busy.id} into ${to} is still running`,
        `wait for it: GET /v1/data/copies/${busy.id}, then copy again`,
      );
    const view: CopyView = {
      id: randomUUID(),
      from,
      to,
      addon,
      state: "running",
      startedAt: new Date(this.now()).toISOString(),
      finishedAt: null,
      database: null,
      tables: [],
      error: null,
    };
    this.copies.set(view.id, view);
    return view;
  }

  progress(view: CopyView, p: TableCopyProgress): void {
    const i = view.tables.findIndex((t) => t.table === p.table);
    if (i === -1) view.tables.push({ ...p });
    else view.tables[i] = { ...p };
  }

  succeeded(view: CopyView, database: string): void {
    this.finish(view, { state: "succeeded", database });
  }

  failed(view: CopyView, e: unknown): void {
    const error = isSlipwayError(e)
      ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
      : { code: "SLW_INTERNAL", message: e instanceof Error ? e.message : String(e) };
    this.finish(view, { state: "failed", error });
  }

  get(id: string): CopyView {
    const view = this.copies.get(id);
    if (!view)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no copy ${id} on this control plane`,
        "a finished copy's outcome is in the events: slipway events --subject STACK/ENV",
      );
    return view;
  }

  private finish(view: CopyView, outcome: Partial<CopyView>): void {
    Object.assign(view, outcome, { finishedAt: new Date(this.now()).toISOString() });
    const finished = [...this.copies.values()].filter((c) => c.state !== "running");
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.copies.delete(old.id);
  }
}
