import { isSlipwayError, type RecoverableWindow } from "@slipway/core";
import type { BackupRunRow } from "@slipway/store";
import type { Ctx } from "../context";
import type { ProtectedAddon } from "./protected-addons";

/** A drill as list, status and the drill itself show it. */
export interface DrillView {
  at: string;
  state: string;
  rpoMs: number | null;
  rtoMs: number | null;
  overTarget: boolean | null;
  error: string | null;
}

/** A run that failed: recorded with its reason (and what was measured), and an event. */
export async function failed(
  ctx: Ctx,
  run: BackupRunRow,
  subject: string,
  actor: string,
  kind: string,
  message: string,
  e: unknown,
  outcome: object = {},
): Promise<void> {
  const reason = e instanceof Error ? e.message : String(e);
  await ctx.store.backupRuns.finish(run.id, "failed", ctx.now(), { ...outcome, error: reason });
  await ctx.event({
    kind,
    subject,
    actor,
    message: `${message}: ${reason}`,
    data: { run: run.id, code: isSlipwayError(e) ? e.code : "SLW_INTERNAL" },
  });
}

export const runOf = (a: ProtectedAddon, kind: BackupRunRow["kind"]) => ({
  environmentId: a.env.id,
  addon: a.row.name,
  kind,
});
export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : iso(ms));
export const windowView = (w: RecoverableWindow | undefined) =>
  w ? { earliest: iso(w.earliest), latest: iso(w.latest) } : null;

export function drillView(r: BackupRunRow): DrillView {
  return {
    at: r.startedAt,
    state: r.state,
    rpoMs: r.rpoMs,
    rtoMs: r.rtoMs,
    overTarget: r.overTarget,
    error: r.error,
  };
}
