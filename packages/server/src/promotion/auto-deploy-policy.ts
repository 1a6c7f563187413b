import { SlipwayError } from "@slipway/core";
import type { Ctx } from "../context";
import { loadSpec } from "../spec";
import { specEnvironment } from "./rules";

/**
 * `slipway autodeploy enable|disable --env E` (an admin's call, by route role): the spec
 * says which branch an environment would auto-deploy from; only this turns it on.
 */
export function autoDeployPolicy(ctx: Ctx) {
  return {
    async enable(envName: string, repo: string | undefined, actor: string) {
      const spec = specEnvironment(await loadSpec(ctx.projectDir), envName);
      if (!spec.autoDeploy)
        throw new SlipwayError(
          "SLW_CONFLICT",
          `environments.${envName}.autoDeploy is not set in the spec, so ${envName} has no branch to deploy from`,
          `add autoDeploy: { branch: "main" } to environments.${envName} in slipway.config.ts`,
        );
      const watched = repo ?? ctx.projectDir;
      if (watched.startsWith("-"))
        throw new SlipwayError("SLW_BAD_REQUEST", `repo ${JSON.stringify(watched)} is not a path or URL`);
      await ctx.store.promotions.enableAutoDeploy(ctx.stackId, envName, watched, actor);
      await ctx.event({
        kind: "autodeploy.enabled",
        subject: `${ctx.stackId}/${envName}`,
        actor,
        message: `${actor} enabled auto-deploy of ${envName} from ${spec.autoDeploy.branch} of ${watched}`,
      });
      return { env: envName, branch: spec.autoDeploy.branch, repo: watched, enabled: true };
    },
    async disable(envName: string, actor: string) {
      specEnvironment(await loadSpec(ctx.projectDir), envName);
      const was = await ctx.store.promotions.disableAutoDeploy(ctx.stackId, envName);
      if (was)
        await ctx.event({
          kind: "autodeploy.disabled",
          subject: `${ctx.stackId}/${envName}`,
          actor,
          message: `${actor} disabled auto-deploy of ${envName}`,
        });
      return { env: envName, enabled: false };
    },
  };
}
