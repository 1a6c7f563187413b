import { addonsOf, type PostgresEnd, SlipwayError } from "@slipway/core";
import type { Stack } from "@slipway/spec";
import type { Ctx } from "../context";
import { recordOf } from "../environment/addons";
import { specEnvironment } from "../promotion/rules";
import { loadSpec } from "../spec";
import { CopyBoard, type CopyView } from "./copy-board";

export interface MaskedCopyRequest {
  from: string;
  to: string;
  /** The postgres add-on to copy; default: the only one the environments have. */
  addon?: string;
}

/**
 * `slipway data copy <from> <to> --mask`: one environment's database into another's, masked
 * by the spec's `data.mask` as rows stream (the driver's `copyMasked`). The spec is read now,
 * so a rule added for a new column applies at once; the add-ons are the ones each
 * environment's live release declares. A request refused before it starts changes nothing and
 * is answered at once; otherwise the copy runs on, its per-table progress polled at
 * `copy(id)`. The start and the outcome (copied, or failed or refused by the masking plan)
 * are events.
 */
export function dataOperations(ctx: Ctx) {
  const board = new CopyBoard(ctx.now);
  return {
    async copyMasked(req: MaskedCopyRequest, actor: string): Promise<CopyView> {
      const stack = await loadSpec(ctx.projectDir);
      const rules = maskRules(stack);
      refuseGuardedTarget(stack, req);
      const source = await postgresEnd(stack, req.from, req.addon);
      const target = await postgresEnd(stack, req.to, source.record.name);
      const view = board.begin(req.from, req.to, source.record.name);
      const subject = `${ctx.stackId}/${req.to}`;
      const what = `${req.from}'s ${source.record.name} into ${req.to}, masked`;
      await ctx
        .event({
          kind: "data.copy.started",
          subject,
          actor,
          message: `copying ${what}`,
          data: { ...req, copy: view.id },
        })
        .catch((e: unknown) => {
          board.failed(view, e);
          throw e;
        });
      const copied = async () => {
        const result = await ctx.driver.addons.copyMasked(source, target, rules, (p) =>
          board.progress(view, p),
        );
        const rows = result.tables.reduce((n, t) => n + t.rows, 0);
        await ctx.event({
          kind: "data.copied",
          subject,
          actor,
          message: `copied ${what}: ${result.tables.length} tables, ${rows} rows`,
          data: {
            from: req.from,
            to: req.to,
            addon: source.record.name,
            copy: view.id,
            tables: result.tables,
          },
        });
        board.succeeded(view, result.database);
      };
      // Runs on after the answer; every outcome lands on the board and in the events.
      void copied().catch(async (e: unknown) => {
        board.failed(view, e);
        await ctx
          .event({
            kind: "data.copy.failed",
            subject,
            actor,
            message: `copy of ${what} failed: ${e instanceof Error ? e.message : String(e)}`,
            data: { copy: view.id },
          })
          .catch((err: unknown) => ctx.log.error({ err }, "recording a failed data copy"));
      });
      return view;
    },

    /** A copy's progress and outcome. */
    copy: (id: string): CopyView => board.get(id),
  };

  /** The postgres add-on `name` (or the only one) of the environment's live release, with its record. */
  async function postgresEnd(stack: Stack, env: string, name: string | undefined): Promise<PostgresEnd> {
    specEnvironment(stack, env);
    const row = await ctx.store.environments.get(ctx.stackId, env);
    const live = row?.liveReleaseId ? await ctx.store.releases.getRelease(row.liveReleaseId) : undefined;
    if (!row || !live)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `${env} has no live release, so no database with the app's schema`,
        `deploy it first (slipway deploy --env ${env}, or promote a build there), then copy`,
      );
    const recorded = await ctx.store.environments.addons(row.id);
    const postgres = Object.entries(addonsOf(live.config, recorded)).flatMap(([n, a]) =>
      a.type === "postgres" ? [{ name: n, config: a }] : [],
    );
    const names = postgres.map((p) => p.name);
    const chosen =
      name === undefined && postgres.length === 1 ? postgres[0] : postgres.find((p) => p.name === name);
    const record = chosen && recorded.find((r) => r.name === chosen.name);
    if (!chosen || !record)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        name === undefined && names.length > 1
          ? `${env} has several postgres add-ons (${names.join(", ")})`
          : `${env} has no postgres add-on${name === undefined ? "" : ` named "${name}"`}`,
        names.length > 1
          ? `name one with --addon (one of: ${names.join(", ")})`
          : "declare one in the spec's addons",
      );
    return { config: chosen.config, record: recordOf(ctx, row, record) };
  }
}

function maskRules(stack: Stack) {
  const rules = stack.data?.mask;
  if (!rules)
    throw new SlipwayError(
      "SLW_MASK_REFUSED",
      "the spec has no data.mask: a copy is masked by its rules, table by table",
      'add data.mask to slipway.config.ts, a rule for every column or "safe" per table (docs/data-masking.md)',
    );
  return rules;
}

/**
 * A copy replaces every row of the target: never where releases need approval (prod), whose
 * data is real. No override: restoring a backup is the way to replace such a database.
 */
function refuseGuardedTarget(stack: Stack, req: MaskedCopyRequest): void {
  if (req.from === req.to)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `from and to are both ${req.from}`,
      "copy from one environment into another",
    );
  if (specEnvironment(stack, req.to).requiresApproval)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `${req.to} requires approval for its releases (environments.${req.to}.requiresApproval), so its data is not overwritten by a copy`,
      "copy into an environment without requiresApproval, e.g. staging; to replace this database, restore a backup",
    );
}
