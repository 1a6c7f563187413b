import type { NewEvent, Queries } from "@slipway/store";
import type { Ctx } from "../context";

type Event = Omit<NewEvent, "actor"> & { actor?: string };

/**
 * A state change and its events as one transaction: both land, or neither. `change` is one
 * guarded write that says whether it applied (it did not when another writer moved first);
 * the events are appended only when it did.
 */
export async function changeWithEvents(
  ctx: Ctx,
  change: (tx: Queries) => Promise<boolean>,
  ...events: Event[]
): Promise<boolean> {
  const applied = await ctx.store.transaction(async (tx) => {
    if (!(await change(tx))) return false;
    for (const e of events) await tx.events.append({ actor: "control-plane", data: {}, ...e });
    return true;
  });
  if (applied) for (const e of events) ctx.log.info({ kind: e.kind, subject: e.subject }, e.message);
  return applied;
}
