import { pickRollbackTarget, SlipwayError } from "@slipway/core";
import { readLog } from "@slipway/driver-local";
import type { EnvironmentRow, Role } from "@slipway/store";
import type { Operations } from "./api/routes";
import type { Ctx } from "./context";
import { cronFiles } from "./cron";
import { releaseConfigFor } from "./release-config";
import type { RolloutExecutor } from "./rollout/executor";
import { jobLogFile } from "./rollout/release-job";
import { loadSpec } from "./spec";
import { statusView } from "./status";

export interface Lifecycle {
  ensureEnvironment(name: string): Promise<EnvironmentRow>;
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
  return {
    status: () => statusView(ctx),
    async releases(env) {
      return ctx.store.releases.list((await envNamed(env)).id);
    },

    async deploy(envName, body, actor) {
      ctx.stack = await loadSpec(ctx.projectDir);
      if (!(envName in ctx.stack.environments))
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `the spec has no environment "${envName}"`,
          `use one of: ${Object.keys(ctx.stack.environments).join(", ")}`,
        );
      await life.ensureEnvironment(envName);
      const env = (await ctx.store.environments.get(ctx.stackId, envName))!;
      const rollout = await ctx.store.rollouts.create({
        environmentId: env.id,
        kind: "deploy",
        fromReleaseId: env.liveReleaseId,
        toReleaseId: null,
        source: body.ref ?? "working tree",
        config: releaseConfigFor(ctx.stack, envName),
        actor,
      });
      if (!rollout) throw inFlight(envName);
      await ctx.event({
        kind: "deploy.requested",
        subject: rollout.id,
        actor,
        message: `deploy of ${body.ref ?? "the working tree"} to ${envName} requested`,
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
      const rollout = await ctx.store.transaction(async (tx) => {
        const release = await tx.releases.createRelease({
          environmentId: env.id,
          buildId: from.buildId,
          config: from.config,
          configHash: from.configHash,
          description: `rollback to v${from.number}`,
          rollbackOf: from.id,
          // Schema changes are expand-only, so the older code runs on the newer schema;
          // re-running an older release's migrations could undo work. The job is not re-run.
          jobStatus: "none",
        });
        return tx.rollouts.create({
          environmentId: env.id,
          kind: "rollback",
          fromReleaseId: env.liveReleaseId,
          toReleaseId: release.id,
          source: null,
          config: from.config,
          actor,
        });
      });
      if (!rollout) throw inFlight(envName);
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
      const events = (await ctx.store.events.list({ limit: 10000 })).filter(
        (e) => e.subject === id || (rollout.toReleaseId && e.subject === rollout.toReleaseId),
      );
      return { rollout, events };
    },

    events: (after, subject) =>
      ctx.store.events.list({ after, ...(subject ? { subjectPrefix: subject } : {}) }),

    async *logs(envName, service, opts) {
      const env = await envNamed(envName);
      // --release vN: that release's processes (a failed deploy's, say), running or not.
      const pinned = opts.release === undefined ? undefined : await releaseNumbered(env, opts.release);
      const rows = (await ctx.store.processes.forEnvironment(env.id)).filter(
        (p) =>
          p.service === service &&
          (pinned ? p.releaseId === pinned.id : p.releaseId === env.liveReleaseId || p.desired === "running"),
      );
      if (!rows.length && !(service in ctx.stack.services))
        throw new SlipwayError(
          "SLW_NOT_FOUND",
          `no service "${service}" in ${envName}`,
          `services: ${Object.keys(ctx.stack.services).join(", ")}`,
        );
      // A cron service's runs all append to one log.
      if (Object.hasOwn(ctx.stack.services, service) && ctx.stack.services[service]!.type === "cron")
        return yield* readLog(cronFiles(ctx, envName).log(service), opts);
      const row = rows.at(-1);
      if (row) return yield* readLog(ctx.paths.env(envName).log(row.id), opts);
      // A release job has no long-lived process: its log is the latest run's.
      const withJob = pinned ?? (await ctx.store.releases.list(env.id)).find((r) => r.jobStatus !== "none");
      if (withJob && ctx.stack.services[service]?.type === "release")
        yield* readLog(jobLogFile(ctx, env, withJob), opts);
    },

    async createToken(name, role: Role, actor) {
      const created = await ctx.store.tokens.create(name, role);
      await ctx.event({
        kind: "token.created",
        subject: created.row.id,
        actor,
        message: `${role} token "${name}" created`,
      });
      return created;
    },
    tokens: () => ctx.store.tokens.list(),
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
