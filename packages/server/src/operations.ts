import { join } from "node:path";
import {
  activeFreeze,
  configHash,
  describeFreeze,
  pickRollbackTarget,
  type ReleaseConfig,
  rollbackSecretRefs,
  SlipwayError,
} from "@slipway/core";
import type { EnvironmentRow, Role } from "@slipway/store";
import type { Operations } from "./api/routes";
import type { Ctx } from "./context";
import { cronLogFile } from "./cron";
import { releaseConfigFor } from "./release-config";
import type { RolloutExecutor } from "./rollout/executor";
import { jobLogFile } from "./rollout/release-job";
import { pinSecrets } from "./secrets/publish";
import { BlobStore } from "./sources/blob-store";
import { adoptUploadedSpec, specOfDeploy } from "./sources/stack-spec";
import { materialiseTree, uploadedTreeOf, uploadSource } from "./sources/uploaded-tree";
import { statusView } from "./status";

export interface Lifecycle {
  /** Brings the environment's foundations up for its releases and `config`, about to be deployed. */
  ensureEnvironment(name: string, config: ReleaseConfig): Promise<EnvironmentRow>;
  down(actor: string): Promise<void>;
}

/** The control plane's operations behind the API. Each mutation records an event. */
export function operations(ctx: Ctx, executor: RolloutExecutor, life: Lifecycle): Operations {
  const envNamed = async (name: string) => {
    const env = await ctx.store.environments.get(ctx.stackId, name);
    if (!env)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no environment "${name}" is running`,
        "deploy to it first: slipway deploy --env " + name,
      );
    return env;
  };
  const releaseNumbered = async (env: EnvironmentRow, n: number) => {
    const release = await ctx.store.releases.byNumber(env.id, n);
    if (!release)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no release v${n} in ${env.name}`,
        "see them with: slipway releases",
      );
    return release;
  };
  const tokenNamed = async (ref: string) => {
    const found = await ctx.store.tokens.find(ref);
    const byId = found.find((t) => t.id === ref);
    if (byId) return byId;
    if (found.length === 1) return found[0]!;
    throw new SlipwayError(
      found.length ? "SLW_CONFLICT" : "SLW_NOT_FOUND",
      found.length
        ? `${found.length} tokens are named "${ref}": ${found.map((t) => t.id).join(", ")}`
        : `no token has the id or name "${ref}"`,
      found.length ? "name the one to revoke by its id" : "see the tokens with: slipway tokens list",
    );
  };
  return {
    status: () => statusView(ctx),
    async releases(env) {
      const { id } = await envNamed(env);
      // How each release first went out (deploy, rollback, restart onto new secrets): newest
      // rollouts come first, so the oldest one targeting a release is the one kept.
      const via = new Map<string, string>();
      for (const r of await ctx.store.rollouts.list(id, 1000))
        if (r.toReleaseId) via.set(r.toReleaseId, r.kind);
      return (await ctx.store.releases.list(id)).map((r) => ({ ...r, via: via.get(r.id) ?? "deploy" }));
    },

    async deploy(envName, body, actor) {
      if (body.ref !== undefined && body.tree !== undefined)
        throw new SlipwayError("SLW_BAD_REQUEST", "body: give ref or tree, not both", "send one of them");
      if (body.ref !== undefined && uploadedTreeOf(body.ref))
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          `body.ref: ${JSON.stringify(body.ref)} names an uploaded tree, not a git ref`,
          "deploy an uploaded tree with { tree }",
        );
      if (body.spec !== undefined && body.tree === undefined)
        throw new SlipwayError(
          "SLW_BAD_REQUEST",
          "body.spec: a spec is sent with the tree it belongs to",
          "send { tree, spec }; `slipway deploy` does",
        );
      // Checked, blob by blob, and written out before anything starts: a tree with a missing
      // or refused file deploys nothing.
      const uploaded = body.tree
        ? materialiseTree(new BlobStore(ctx.paths.blobs), ctx.paths.sources, body.tree, body.spec)
        : undefined;
      const source = uploaded ? uploadSource(uploaded) : (body.ref ?? "working tree");
      // The one place a deploy reads the spec: it is frozen into the rollout's config here.
      const stack = await specOfDeploy(
        ctx,
        uploaded && body.spec ? join(ctx.paths.sources, uploaded) : undefined,
      );
      // Own keys only: `constructor` or `__proto__` must not pass for an environment. Checked
      // before anything starts: an unknown name brings up no add-on, edge or process.
      if (!Object.hasOwn(stack.environments, envName))
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `the spec has no environment "${envName}"`,
          `use one of: ${Object.keys(stack.environments).join(", ")}`,
        );
      const frozen = activeFreeze(stack.environments[envName]!.freeze, ctx.now());
      if (frozen)
        throw new SlipwayError(
          "SLW_PROMOTION_REFUSED",
          `${envName} is frozen ${describeFreeze(frozen)}: nothing is deployed or promoted there now`,
          "wait for the window to end, or change the environment's freeze in the spec",
        );
      const unpinned = releaseConfigFor(stack, envName);
      await life.ensureEnvironment(envName, unpinned);
      // Read again: the environment may have been ensured long ago, and gone live since.
      const env = (await ctx.store.environments.get(ctx.stackId, envName))!;
      const config = await pinSecrets(ctx, env, unpinned, actor);
      const rollout = await ctx.store.rollouts.create({
        environmentId: env.id,
        kind: "deploy",
        fromReleaseId: env.liveReleaseId,
        toReleaseId: null,
        source,
        config,
        actor,
      });
      if (!rollout) throw inFlight(envName);
      if (uploaded && body.spec) adoptUploadedSpec(ctx, uploaded);
      await ctx.event({
        kind: "deploy.requested",
        subject: rollout.id,
        actor,
        message: `deploy of ${body.tree ? `uploaded tree ${uploaded} (${body.tree.files.length} files${body.spec ? ` and ${body.spec.path}` : ""})` : (body.ref ?? "the working tree")} to ${envName} requested`,
      });
      void executor.kick(rollout.id);
      return rollout;
    },

    async rollback(envName, body, actor) {
      const env = await envNamed(envName);
      const releases = await ctx.store.releases.list(env.id);
      const wentLive = new Set(
        (await ctx.store.rollouts.list(env.id, 1000))
          .filter((r) => r.phase === "succeeded")
          .map((r) => r.toReleaseId!),
      );
      const pick = pickRollbackTarget(releases, env.liveReleaseId, wentLive, body.to);
      if (!pick.ok)
        throw new SlipwayError("SLW_CONFLICT", pick.reason, "see the releases with: slipway releases");
      const from = releases.find((r) => r.id === pick.release.id)!;
      if ((await ctx.store.rollouts.active()).some((r) => r.environmentId === env.id))
        throw inFlight(envName);
      // The release and its rollout land together or not at all: a rollout refused because
      // another one started meanwhile must not leave an undeployed release behind.
      // Code and config go back; secrets stay at the versions the live release publishes.
      const live = env.liveReleaseId ? await ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
      const secrets = rollbackSecretRefs(from.config.secrets, live?.config.secrets);
      const config = secrets ? { ...from.config, secrets } : from.config;
      const rollout = await ctx.store.transaction(async (tx) => {
        const release = await tx.releases.createRelease({
          environmentId: env.id,
          buildId: from.buildId,
          config,
          configHash: configHash(config),
          description: `rollback to v${from.number}`,
          rollbackOf: from.id,
          // Schema changes are expand-only, so the older code runs on the newer schema;
          // re-running an older release's migrations could undo work. The job is not re-run.
          jobStatus: "none",
        });
        const created = await tx.rollouts.create({
          environmentId: env.id,
          kind: "rollback",
          fromReleaseId: env.liveReleaseId,
          toReleaseId: release.id,
          source: null,
          config,
          actor,
        });
        if (!created) throw inFlight(envName); // rolls the release back with it
        return created;
      });
      await ctx.event({
        kind: "rollback.requested",
        subject: rollout.id,
        actor,
        message: `rollback of ${envName} to v${from.number} requested`,
      });
      void executor.kick(rollout.id);
      return rollout;
    },

    async rollout(id) {
      const rollout = await ctx.store.rollouts.get(id);
      if (!rollout) throw new SlipwayError("SLW_NOT_FOUND", `no rollout ${id}`);
      const subjects = [id, ...(rollout.toReleaseId ? [rollout.toReleaseId] : [])];
      return { rollout, events: await ctx.store.events.about(subjects) };
    },

    events: (q) => ctx.store.events.list(q),

    async logs(envName, service, opts) {
      const env = await envNamed(envName);
      // --release vN: that release's processes (a failed deploy's, say), running or not.
      const pinned = opts.release === undefined ? undefined : await releaseNumbered(env, opts.release);
      const rows = (await ctx.store.processes.forEnvironment(env.id)).filter(
        (p) =>
          p.service === service &&
          (pinned ? p.releaseId === pinned.id : p.releaseId === env.liveReleaseId || p.desired === "running"),
      );
      // What the service is, as the rollout in flight or the newest release that has it says.
      const releases = await ctx.store.releases.list(env.id);
      const inFlight = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id);
      const configs = [...(inFlight ? [inFlight.config] : []), ...releases.map((r) => r.config)];
      const known = [...new Set(configs.flatMap((c) => Object.keys(c.services)))];
      const type = configs.find((c) => Object.hasOwn(c.services, service))?.services[service]?.type;
      if (!rows.length && !type)
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `no service "${service}" in ${envName}`,
          `services: ${known.join(", ")}`,
          { services: known },
        );
      const logs = (file: string) => ctx.driver.runtime.logs(file, opts);
      // A cron service's runs all append to one log.
      if (type === "cron") return logs(cronLogFile(ctx, envName, service));
      const row = rows.at(-1);
      if (row) return logs(ctx.paths.env(envName).log(row.id));
      // A release job has no long-lived process: its log is the latest run's.
      const withJob = pinned ?? releases.find((r) => r.jobStatus !== "none");
      if (withJob && type === "release") return logs(jobLogFile(ctx, env, withJob));
      return (async function* () {})(); // nothing has run yet, so nothing is logged
    },

    async createToken(name, role: Role, expiresInSeconds, actor) {
      const expiresAt = expiresInSeconds ? new Date(ctx.now() + expiresInSeconds * 1000) : undefined;
      const created = await ctx.store.tokens.create(name, role, expiresAt ? { expiresAt } : {});
      await ctx.event({
        kind: "token.created",
        subject: created.row.id,
        actor,
        message: `${role} token "${name}" created${expiresAt ? `, expires ${expiresAt.toISOString()}` : ""}`,
      });
      return created;
    },
    tokens: () => ctx.store.tokens.list(),

    async revokeToken(ref, actor) {
      const token = await tokenNamed(ref);
      const lastAdmin =
        token.role === "admin" &&
        !token.revokedAt &&
        (await ctx.store.tokens.otherUsableAdmins(token.id)) === 0;
      if (lastAdmin)
        throw new SlipwayError(
          "SLW_CONFLICT",
          `token "${token.name}" (${token.id}) is the last admin token that works; revoking it would lock every admin out`,
          "create another admin token first: slipway tokens create --name <name> --role admin",
        );
      return ctx.store.transaction(async (tx) => {
        const revoked = await tx.tokens.revoke(token.id);
        if (!revoked)
          throw new SlipwayError("SLW_CONFLICT", `token "${token.name}" (${token.id}) is already revoked`);
        await tx.events.append({
          actor,
          kind: "token.revoked",
          subject: token.id,
          message: `${token.role} token "${token.name}" revoked`,
        });
        return revoked;
      });
    },
    down: (actor) => life.down(actor),
  };
}

function inFlight(env: string): SlipwayError {
  return new SlipwayError(
    "SLW_CONFLICT",
    `a rollout is already in flight in ${env}`,
    "wait for it to finish (slipway status) and try again",
  );
}
