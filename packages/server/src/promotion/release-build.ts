import { configHash, type ReleaseConfig, SlipwayError } from "@slipway/core";
import type { EnvironmentRow, Queries, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";

/**
 * Makes a release of an existing build with `config` (the target environment's) and the
 * rollout that takes it live, in one transaction with `also` (say, marking the promotion
 * released): either all of it lands or none. The build is not built again: the rollout
 * starts from a ready release, and its release job runs against this environment's add-ons.
 */
export async function releaseBuild(
  ctx: Ctx,
  env: EnvironmentRow,
  r: { buildId: string; config: ReleaseConfig; description: string; actor: string },
  also: (tx: Queries, rollout: RolloutRow) => Promise<void> = async () => {},
): Promise<RolloutRow> {
  return ctx.store.transaction(async (tx) => {
    const release = await tx.releases.createRelease({
      environmentId: env.id,
      buildId: r.buildId,
      config: r.config,
      configHash: configHash(r.config),
      description: r.description,
      rollbackOf: null,
      jobStatus: Object.values(r.config.services).some((s) => s.type === "release") ? "pending" : "none",
    });
    const rollout = await tx.rollouts.create({
      environmentId: env.id,
      kind: "deploy",
      fromReleaseId: env.liveReleaseId,
      toReleaseId: release.id,
      source: null,
      config: r.config,
      actor: r.actor,
    });
    if (!rollout)
      throw new SlipwayError(
        "SLW_CONFLICT",
        `a rollout is already in flight in ${env.name}`,
        "wait for it to finish (slipway status) and try again",
      );
    await also(tx, rollout);
    await tx.events.append({
      actor: r.actor,
      kind: "release.created",
      subject: release.id,
      message: `v${release.number} created in ${env.name}: ${r.description}, config ${release.configHash}`,
      data: { release: release.number, build: r.buildId },
    });
    return rollout;
  });
}
