import { isSlipwayError, judgeDrill, SlipwayError } from "@slipway/core";
import type { Ctx } from "../context";
import type { ProtectedAddon } from "./protected-addons";
import { type DrillView, drillView, failed, isoOrNull, runOf } from "./runs";

export interface DrillReport extends DrillView {
  run: string;
  addon: string;
}

/**
 * A drill: restore the latest state into a scratch copy, run the verification queries, measure
 * RTO (start → the copy accepting queries) and RPO (the drill's moment − the newest heartbeat in
 * the copy), record it, raise an alert over target, and remove the copy whatever happened.
 */
export async function runDrill(ctx: Ctx, a: ProtectedAddon, actor: string): Promise<DrillReport> {
  const subject = `${a.row.id}/backups`;
  const name = `${a.env.name}/${a.row.name}`;
  const startedAt = ctx.now();
  const run = await ctx.store.backupRuns.start({
    ...runOf(a, "drill"),
    requestedBy: actor,
    at: startedAt,
    target: "latest",
  });
  await ctx.event({
    kind: "backup.drill.started",
    subject,
    actor,
    message: `${name}: restore drill started`,
    data: { run: run.id },
  });
  const into = {
    dataDir: ctx.paths.env(a.env.name).restore(a.row.name, run.id),
    port: await ctx.driver.runtime.allocatePort(),
  };
  let copy: Awaited<ReturnType<typeof ctx.driver.backups.restore>> | undefined;
  try {
    copy = await ctx.driver.backups.restore(a.record, a.repo, { target: { kind: "latest" }, into });
    const rtoMs = ctx.now() - startedAt;
    const check = await ctx.driver.backups.check(copy.record, a.config.databases, a.policy.verify);
    const rpoMs =
      check.newestHeartbeatAt === undefined ? undefined : Math.max(0, startedAt - check.newestHeartbeatAt);
    const judged = judgeDrill(a.policy, { rpoMs, rtoMs });
    const failedQueries = check.queries.filter((q) => !q.ok);
    const outcome = {
      backupId: copy.baseBackup,
      restoredTo: isoOrNull(copy.lastCommitAt),
      newestHeartbeat: isoOrNull(check.newestHeartbeatAt),
      rpoMs: rpoMs ?? null,
      rtoMs,
      overTarget: judged.overRpo || judged.overRto,
    };
    if (failedQueries.length)
      throw new SlipwayError(
        "SLW_DRILL_FAILED",
        `${name}: the restored copy failed verification: ${failedQueries.map((q) => `\`${q.sql}\`: ${q.error}`).join("; ")}`,
        "check the query against the live database; fix the query in the spec (backup.verify) or the data",
        { outcome },
      );
    await ctx.store.backupRuns.finish(run.id, "succeeded", ctx.now(), outcome);
    const figures = `RPO ${rpoMs === undefined ? "unknown (no heartbeat in the copy)" : `${(rpoMs / 1000).toFixed(3)} s`}, RTO ${(rtoMs / 1000).toFixed(2)} s`;
    await ctx.event({
      kind: "backup.drill.passed",
      subject,
      actor,
      message: `${name}: restore drill passed: ${figures}, ${check.queries.length} verification queries ok`,
      data: { run: run.id, rpoMs: rpoMs ?? null, rtoMs },
    });
    if (outcome.overTarget)
      await ctx.event({
        kind: "backup.drill.over-target",
        subject,
        actor,
        message: `ALERT ${name}: drill measured ${figures}; targets RPO ${a.policy.rpoTargetSeconds} s, RTO ${a.policy.rtoTargetSeconds} s`,
        data: { run: run.id, rpoMs: rpoMs ?? null, rtoMs, ...judged },
      });
    return { run: run.id, addon: a.row.name, ...drillView((await ctx.store.backupRuns.get(run.id))!) };
  } catch (e) {
    const outcome = isSlipwayError(e) ? (e.detail?.outcome as object | undefined) : undefined;
    await failed(
      ctx,
      run,
      subject,
      actor,
      "backup.drill.failed",
      `ALERT ${name}: restore drill failed`,
      e,
      outcome,
    );
    if (isSlipwayError(e) && e.code === "SLW_DRILL_FAILED") throw e;
    throw new SlipwayError(
      "SLW_DRILL_FAILED",
      `${name}: restore drill failed: ${e instanceof Error ? e.message : String(e)}`,
      isSlipwayError(e) && e.hint ? e.hint : "read the reason; the live instance was not touched",
      { cause: isSlipwayError(e) ? e.code : "SLW_INTERNAL" },
    );
  } finally {
    if (copy)
      await ctx.driver.backups
        .discard(copy.record)
        .catch((e) => ctx.log.error({ err: e }, "drill copy not removed"));
  }
}
