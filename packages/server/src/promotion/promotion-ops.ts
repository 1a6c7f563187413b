import { decidePromotion, type PromotionRequest, type Refusal, SlipwayError } from "@slipway/core";
import type { Stack } from "@slipway/spec";
import type { PromotionRow, ReleaseRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import type { Lifecycle } from "../operations";
import { releaseConfigFor } from "../release-config";
import { pinSecrets } from "../secrets/publish";
import { loadSpec } from "../spec";
import { releaseBuild } from "./release-build";
import { promotionTargets, specEnvironment, upstreamOf } from "./rules";

export interface PromotionResult {
  promotion: PromotionRow;
  /** Set when the build is on its way (no approval needed, or just approved). */
  rollout?: RolloutRow;
}

/**
 * `slipway promote / approve / reject`: the same build (same id) released into the next
 * environment with that environment's config, under its rule (core's `decidePromotion`).
 * Who asked, who decided and when are events; a refusal is one too.
 */
export function promotions(ctx: Ctx, kick: (rolloutId: string) => void, life: Lifecycle) {
  /** Everything decidePromotion needs, read now. */
  const decide = async (
    stack: Stack,
    fromEnv: string,
    toEnv: string,
    release: ReleaseRow,
    approval: PromotionRequest["approval"],
  ) => {
    specEnvironment(stack, toEnv);
    const target = (await promotionTargets(ctx, stack)).find((t) => t.name === toEnv)!;
    const source = await ctx.store.environments.get(ctx.stackId, fromEnv);
    const rejection = await ctx.store.promotions.rejection(release.buildId);
    const req: PromotionRequest = {
      target,
      from: fromEnv,
      build: {
        id: release.buildId,
        ...(rejection ? { rejected: { by: rejection.rejectedBy, reason: rejection.reason } } : {}),
      },
      upstream: await upstreamOf(ctx.store, source, release.buildId),
      approval,
      now: ctx.now(),
    };
    return decidePromotion(req);
  };

  /** Refused: said in an event, then as a user-fixable error listing every reason. */
  const refuse = async (
    fromEnv: string,
    toEnv: string,
    buildId: string,
    refusals: Refusal[],
    actor: string,
  ) => {
    const reasons = refusals.map((r) => r.reason).join("; ");
    await ctx.event({
      kind: "promotion.refused",
      subject: `${ctx.stackId}/${toEnv}`,
      actor,
      message: `promotion of build ${buildId.slice(0, 12)} from ${fromEnv} to ${toEnv} refused: ${reasons}`,
      data: { build: buildId, from: fromEnv, to: toEnv, refusals },
    });
    return new SlipwayError(
      "SLW_PROMOTION_REFUSED",
      `${toEnv} refuses build ${buildId.slice(0, 12)} from ${fromEnv}: ${reasons}`,
      refusals.map((r) => r.hint).join("; "),
      { refusals },
    );
  };

  /** Releases the build into `toEnv` with its own config; holds it when the build is not upstream's live one. */
  const release = async (
    p: { fromEnv: string; toEnv: string; release: ReleaseRow },
    stack: Stack,
    actor: string,
    record: Parameters<typeof releaseBuild>[3],
  ) => {
    const unpinned = releaseConfigFor(stack, p.toEnv);
    const ensured = await life.ensureEnvironment(p.toEnv, unpinned);
    const env = (await ctx.store.environments.get(ctx.stackId, ensured.name))!;
    // The target environment's own secret versions, as a deploy there would pin them.
    const config = await pinSecrets(ctx, env, unpinned, actor);
    const source = await ctx.store.environments.get(ctx.stackId, p.fromEnv);
    const rollout = await releaseBuild(
      ctx,
      env,
      {
        buildId: p.release.buildId,
        config,
        description: `promotion of build ${p.release.buildId.slice(0, 12)} from ${p.fromEnv} v${p.release.number}`,
        actor,
      },
      record,
    );
    if (stack.environments[p.toEnv]!.autoDeploy && source?.liveReleaseId !== p.release.id) {
      // Not what is live upstream: auto-deploy would undo it with the next commit.
      const reason = `build ${p.release.buildId.slice(0, 12)} (${p.fromEnv} v${p.release.number}) promoted by hand`;
      await ctx.store.promotions.hold(ctx.stackId, p.toEnv, actor, reason);
      await ctx.event({
        kind: "hold.set",
        subject: `${ctx.stackId}/${p.toEnv}`,
        actor,
        message: `${p.toEnv} held: ${reason}; auto-deploy leaves it alone until \`slipway hold lift --env ${p.toEnv}\``,
      });
    }
    kick(rollout.id);
    return rollout;
  };

  const promotionNamed = async (id: string) => {
    const p = await ctx.store.promotions.get(id);
    if (!p || p.stackId !== ctx.stackId)
      throw new SlipwayError("SLW_NOT_FOUND", `no promotion ${id}`, "see them with: slipway promotions");
    return p;
  };

  const awaiting = (p: PromotionRow) => {
    if (p.state !== "awaiting-approval")
      throw new SlipwayError(
        "SLW_CONFLICT",
        `promotion ${p.id} is ${p.state}${p.decidedBy ? ` (by ${p.decidedBy} at ${p.decidedAt})` : ""}`,
        "only a promotion awaiting approval can be approved or rejected",
      );
  };

  return {
    async promote(
      fromEnv: string,
      toEnv: string,
      opts: { release?: number | undefined },
      actor: string,
    ): Promise<PromotionResult> {
      const stack = await loadSpec(ctx.projectDir);
      specEnvironment(stack, fromEnv);
      specEnvironment(stack, toEnv);
      const source = await ctx.store.environments.get(ctx.stackId, fromEnv);
      const chosen = source
        ? opts.release !== undefined
          ? await ctx.store.releases.byNumber(source.id, opts.release)
          : source.liveReleaseId
            ? await ctx.store.releases.getRelease(source.liveReleaseId)
            : undefined
        : undefined;
      if (!chosen)
        throw new SlipwayError(
          "SLW_PROMOTION_REFUSED",
          opts.release !== undefined
            ? `${fromEnv} has no release v${opts.release}`
            : `${fromEnv} has no live release to promote`,
          `deploy to ${fromEnv} first (slipway deploy --env ${fromEnv}), or name a release: --release vN`,
        );
      const decision = await decide(stack, fromEnv, toEnv, chosen, null);
      if (decision.do === "refuse")
        throw await refuse(fromEnv, toEnv, chosen.buildId, decision.refusals, actor);
      const row = {
        stackId: ctx.stackId,
        fromEnv,
        toEnv,
        buildId: chosen.buildId,
        fromReleaseId: chosen.id,
        requestedBy: actor,
      };
      if (decision.do === "await-approval") {
        const promotion = await ctx.store.promotions.create({
          ...row,
          state: "awaiting-approval",
          rolloutId: null,
        });
        if (!promotion)
          throw new SlipwayError(
            "SLW_CONFLICT",
            `a promotion to ${toEnv} already awaits approval`,
            "approve or reject it first: slipway promotions",
          );
        await ctx.event({
          kind: "promotion.requested",
          subject: promotion.id,
          actor,
          message: `${actor} asked to promote build ${chosen.buildId.slice(0, 12)} from ${fromEnv} v${chosen.number} to ${toEnv}; it awaits approval`,
          data: { build: chosen.buildId, from: fromEnv, to: toEnv },
        });
        return { promotion };
      }
      let promotion: PromotionRow | undefined;
      const rollout = await release({ fromEnv, toEnv, release: chosen }, stack, actor, async (tx, ro) => {
        promotion = await tx.promotions.create({ ...row, state: "released", rolloutId: ro.id });
        await tx.events.append({
          actor,
          kind: "promotion.released",
          subject: promotion!.id,
          message: `${actor} promoted build ${chosen.buildId.slice(0, 12)} from ${fromEnv} v${chosen.number} to ${toEnv} (rollout ${ro.id})`,
          data: { build: chosen.buildId, from: fromEnv, to: toEnv, rollout: ro.id },
        });
      });
      return { promotion: promotion!, rollout };
    },

    async approve(id: string, actor: string): Promise<PromotionResult> {
      const p = await promotionNamed(id);
      awaiting(p);
      if (p.requestedBy === actor)
        throw new SlipwayError(
          "SLW_FORBIDDEN",
          `${actor} asked for promotion ${p.id}, so ${actor} cannot approve it`,
          "another user with the approver role approves it",
        );
      const chosen = (await ctx.store.releases.getRelease(p.fromReleaseId))!;
      const approval = { by: actor, at: ctx.now() };
      // Decided again: a freeze may have begun, or the build been rejected, since it was asked for.
      const stack = await loadSpec(ctx.projectDir);
      const decision = await decide(stack, p.fromEnv, p.toEnv, chosen, approval);
      if (decision.do === "refuse")
        throw await refuse(p.fromEnv, p.toEnv, p.buildId, decision.refusals, actor);
      const rollout = await release({ ...p, release: chosen }, stack, actor, async (tx, ro) => {
        if (!(await tx.promotions.decide(p.id, "released", actor, { rolloutId: ro.id })))
          throw new SlipwayError("SLW_CONFLICT", `promotion ${p.id} was decided by someone else meanwhile`);
        await tx.events.append({
          actor,
          kind: "promotion.approved",
          subject: p.id,
          message: `${actor} approved promotion ${p.id} (build ${p.buildId.slice(0, 12)} to ${p.toEnv}, asked by ${p.requestedBy} at ${p.requestedAt})`,
          data: { build: p.buildId, to: p.toEnv, requestedBy: p.requestedBy, rollout: ro.id },
        });
      });
      return { promotion: (await ctx.store.promotions.get(p.id))!, rollout };
    },

    /** Rejects a promotion awaiting approval, and its build with it: never promoted again. */
    async reject(id: string, reason: string, actor: string): Promise<PromotionResult> {
      const p = await promotionNamed(id);
      awaiting(p);
      await ctx.store.transaction(async (tx) => {
        if (!(await tx.promotions.decide(p.id, "rejected", actor, { reason })))
          throw new SlipwayError("SLW_CONFLICT", `promotion ${p.id} was decided by someone else meanwhile`);
        await tx.promotions.rejectBuild(p.buildId, actor, reason);
        await tx.events.append({
          actor,
          kind: "promotion.rejected",
          subject: p.id,
          message: `${actor} rejected promotion ${p.id}: build ${p.buildId.slice(0, 12)} is never promoted again (${reason})`,
          data: { build: p.buildId, to: p.toEnv, reason },
        });
      });
      return { promotion: (await ctx.store.promotions.get(p.id))! };
    },

    list: () => ctx.store.promotions.list(ctx.stackId),

    async liftHold(envName: string, actor: string): Promise<void> {
      specEnvironment(await loadSpec(ctx.projectDir), envName);
      if (!(await ctx.store.promotions.liftHold(ctx.stackId, envName)))
        throw new SlipwayError("SLW_CONFLICT", `${envName} is not held`, "see holds with: slipway status");
      await ctx.event({
        kind: "hold.lifted",
        subject: `${ctx.stackId}/${envName}`,
        actor,
        message: `${actor} lifted the hold on ${envName}: auto-deploy deploys it again`,
      });
    },
  };
}

export type Promotions = ReturnType<typeof promotions>;
