import {
  configHash,
  overdueSecrets,
  planSecretRefs,
  type ReleaseConfig,
  type SecretRef,
} from "@slipway/core";
import type { EnvironmentRow, ReleaseRow } from "@slipway/store";
import type { Ctx } from "../context";
import { rotateAddonPassword } from "../environment/addons";
import { newestVersions, secretSubject } from "./publish";

/**
 * Keeps each live release's secrets current (level-triggered, so a control plane killed after
 * a rotation was stored converges on restart): a newer version of a secret the live release
 * uses makes a release-equivalent restart through the normal rollout, with the old value kept
 * as NAME_PREVIOUS for the overlap; the end of the overlap makes another, without it. Also
 * raises a `secret.overdue` alert, once per version, for secrets older than their policy.
 */
export class SecretsReconciler {
  #timer?: NodeJS.Timeout;
  #ticking?: Promise<void>;

  constructor(
    private readonly ctx: Ctx,
    private readonly kick: (rolloutId: string) => void,
  ) {}

  /** Ticks every `everyMs` until stopped; a tick never overlaps the previous one. */
  start(everyMs: number, onError: (e: unknown) => void): void {
    this.#timer ??= setInterval(() => void this.tickNow().catch(onError), everyMs).unref();
  }

  /** One tick now (after a rotation), or the one already running. */
  tickNow(): Promise<void> {
    this.#ticking ??= this.tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  async tick(): Promise<void> {
    const busy = new Set((await this.ctx.store.rollouts.active()).map((r) => r.environmentId));
    for (const env of await this.ctx.store.environments.list()) {
      if (env.desired !== "active" || !env.liveReleaseId) continue;
      const live = (await this.ctx.store.releases.getRelease(env.liveReleaseId))!;
      if (!live.config.secrets) continue;
      const newest = await newestVersions(this.ctx, env.id);
      await this.#alertOverdue(env, overdueSecrets(live.config.secrets, newest, this.ctx.now()));
      // One rollout per environment: a deploy in flight pins the newest versions itself.
      if (busy.has(env.id)) continue;
      const plan = planSecretRefs(live.config.secrets, newest, this.ctx.now());
      if (plan && !(await this.#alreadyFailed(env, { ...live.config, secrets: plan.refs })))
        await this.#restart(env, live, plan.refs, plan.changes);
      else if (!plan) await this.#withdrawAddonLogins(env, live);
    }
  }

  /**
   * An add-on login's previous version stops working in the database once its overlap is over
   * and nothing runs on it any more: the live release publishes the new one, no rollout is in
   * flight, and no process of an older release is still draining. Once per version.
   */
  async #withdrawAddonLogins(env: EnvironmentRow, live: ReleaseRow) {
    for (const [name, ref] of Object.entries(live.config.secrets ?? {})) {
      if (!ref.addon || ref.previous === undefined || (ref.withdrawAt ?? 0) > this.ctx.now()) continue;
      const subject = secretSubject(env, name);
      const done = (await this.ctx.store.events.about([subject])).some(
        (e) => e.kind === "secret.withdrawn" && e.data.version === ref.previous,
      );
      if (done) continue;
      const older = (await this.ctx.store.processes.forEnvironment(env.id)).filter(
        (p) => p.releaseId !== live.id && p.state !== "stopped",
      );
      if (older.length) continue;
      await rotateAddonPassword(
        this.ctx,
        env,
        live.config,
        { name, addon: ref.addon, version: ref.version },
        true,
      );
      await this.ctx.event({
        kind: "secret.withdrawn",
        subject,
        actor: "secrets",
        message: `${env.name}: ${name} v${ref.previous} no longer logs in to ${ref.addon}; the services use v${ref.version}`,
        data: { environment: env.name, name, version: ref.previous },
      });
    }
  }

  /** A new release of the live one's build and config with other secret versions, rolled out. */
  async #restart(
    env: EnvironmentRow,
    live: ReleaseRow,
    refs: Record<string, SecretRef>,
    changes: { name: string; message: string }[],
  ) {
    const config = { ...live.config, secrets: refs };
    // A new add-on login works before any service is started with it (the old one still does).
    for (const [name, ref] of Object.entries(refs))
      if (ref.addon && ref.version !== live.config.secrets?.[name]?.version)
        await rotateAddonPassword(
          this.ctx,
          env,
          live.config,
          { name, addon: ref.addon, version: ref.version },
          false,
        );
    const rollout = await this.ctx.store.transaction(async (tx) => {
      const release = await tx.releases.createRelease({
        environmentId: env.id,
        buildId: live.buildId,
        config,
        configHash: configHash(config),
        description: `secrets: ${changes.map((c) => c.message).join("; ")}`,
        rollbackOf: null,
        // The same build and schema: the release job already ran for it.
        jobStatus: "none",
      });
      return tx.rollouts.create({
        environmentId: env.id,
        // Rolls out an existing build with no release job, like a rollback, but says what it is.
        kind: "restart",
        fromReleaseId: live.id,
        toReleaseId: release.id,
        source: null,
        config,
        actor: "secrets",
      });
    });
    if (!rollout) return; // a deploy started meanwhile; it pins the newest versions itself
    for (const change of changes)
      await this.ctx.event({
        kind: "secret.published",
        subject: secretSubject(env, change.name),
        actor: "secrets",
        message: `${env.name}: ${change.message}; services restart onto it (rollout ${rollout.id})`,
        data: { environment: env.name, rollout: rollout.id },
      });
    this.kick(rollout.id);
  }

  /**
   * The same restart failed last time (services unhealthy on the new value, say): not retried
   * every tick; the failure shows in status, and the next change (a new version, a deploy) retries.
   */
  async #alreadyFailed(env: EnvironmentRow, config: ReleaseConfig): Promise<boolean> {
    const [last] = await this.ctx.store.rollouts.list(env.id, 1);
    return (
      last?.actor === "secrets" && last.phase === "failed" && configHash(last.config) === configHash(config)
    );
  }

  async #alertOverdue(env: EnvironmentRow, overdue: ReturnType<typeof overdueSecrets>) {
    for (const o of overdue) {
      const subject = secretSubject(env, o.name);
      const raised = (await this.ctx.store.events.about([subject])).some(
        (e) => e.kind === "secret.overdue" && e.data.version === o.version,
      );
      if (raised) continue;
      await this.ctx.event({
        kind: "secret.overdue",
        subject,
        actor: "secrets",
        message: `${o.name} in ${env.name} is overdue for rotation (v${o.version}, due ${new Date(o.dueAt).toISOString()})`,
        data: { environment: env.name, name: o.name, version: o.version, dueAt: o.dueAt },
      });
    }
  }
}
