import { dueBackupWork, retentionMs } from "@slipway/core";
import type { Ctx } from "../context";
import type { BackupOperations } from "./operations";
import { type ProtectedAddon, protectedAddons, snapshottedRedis } from "./protected-addons";
import { reconcileRedis } from "./redis";

const ACTOR = "backups";

/**
 * Keeps every postgres add-on of every running environment protected (level-triggered: each
 * tick reads the store and the repository, so a restarted control plane picks up where it
 * stood): the WAL receiver running, completed WAL sealed, a base backup when the policy says
 * one is due, retention applied (never what the window still needs: planExpiry), and a drill
 * when one is due. Each step's outcome is an event; a failing step is reported once per reason.
 */
export class BackupReconciler {
  #timer?: NodeJS.Timeout;
  #ticking?: Promise<void>;
  /** The last failure reported per add-on, so a step failing every tick is one event, not thousands. */
  readonly #reported = new Map<string, string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly ops: BackupOperations,
  ) {}

  start(everyMs: number, onError: (e: unknown) => void): void {
    this.#timer ??= setInterval(() => void this.tickNow().catch(onError), everyMs).unref();
  }

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
    for (const env of await this.ctx.store.environments.list()) {
      if (env.desired !== "active") continue;
      try {
        for (const a of await protectedAddons(this.ctx, env)) {
          if (!a.policy.enabled) continue;
          await this.#step(a.row.id, `${env.name}/${a.row.name}`, () => this.#reconcile(a));
        }
        // Snapshots are asked for per redis add-on, so they do not wait for the policy's enabled.
        for (const r of await snapshottedRedis(this.ctx, env))
          await this.#step(r.row.id, `${env.name}/${r.row.name}`, () => reconcileRedis(this.ctx, r, ACTOR));
        this.#reported.delete(env.id);
      } catch (e) {
        // The repository itself can't be reached (its bucket add-on or credentials are missing).
        await this.#reportOnce(env.id, env.name, e);
      }
    }
  }

  async #step(id: string, name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.#reported.delete(id);
    } catch (e) {
      await this.#reportOnce(id, name, e);
    }
  }

  async #reconcile(a: ProtectedAddon): Promise<void> {
    const { backups } = this.ctx.driver;
    const name = `${a.env.name}/${a.row.name}`;
    const subject = `${a.row.id}/backups`;
    const { started } = await backups.protect(a.record, a.repo);
    if (started)
      await this.ctx.event({
        kind: "backup.protected",
        subject,
        actor: ACTOR,
        message: `${name}: WAL streaming into the backup repository`,
      });
    await backups.sealWal(a.record, a.repo);
    const work = dueBackupWork(a.policy, await this.#history(a), this.ctx.now());
    // A repository streamed into for the first time (the spec moved it to a bucket, say) has no
    // base backup yet, whatever the store's history says: nothing in it is restorable until one is.
    const empty = async () => !(await backups.list(a.record, a.repo)).backups.some((b) => b.verified);
    if (work.base || (started && (await empty()))) await this.ops.createFor(a, ACTOR);
    const expired = await backups.expire(a.record, a.repo, retentionMs(a.policy), this.ctx.now());
    if (expired.removedBackups.length || expired.removedWalSegments)
      await this.ctx.event({
        kind: "backup.expired",
        subject,
        actor: ACTOR,
        message: `${name}: retention (${a.policy.retentionDays} days) removed ${expired.removedBackups.length} base backups and ${expired.removedWalSegments} WAL segments`,
        data: expired,
      });
    // A failed drill is recorded and alerted by the drill itself; the next one is a period later.
    if (work.drill) await this.ops.drillFor(a, ACTOR).catch(() => {});
  }

  async #history(a: ProtectedAddon) {
    const base = await this.ctx.store.backupRuns.succeeded(a.env.id, a.row.name, "base");
    const drills = await this.ctx.store.backupRuns.list(a.env.id, a.row.name, 50);
    const lastDrill = drills.find((r) => r.kind === "drill" && r.state !== "running");
    const switched = drills.find((r) => r.switchedAt);
    const ms = (s: string | null | undefined) => (s ? Date.parse(s) : undefined);
    return {
      lastBaseAt: ms(base.last),
      firstBaseAt: ms(base.first),
      lastDrillAt: ms(lastDrill?.startedAt),
      switchedAt: ms(switched?.switchedAt),
    };
  }

  async #reportOnce(id: string, name: string, e: unknown): Promise<void> {
    const reason = e instanceof Error ? e.message : String(e);
    if (this.#reported.get(id) === reason) return;
    this.#reported.set(id, reason);
    await this.ctx.event({
      kind: "backup.protection-failed",
      subject: `${id}/backups`,
      actor: ACTOR,
      message: `ALERT ${name}: backups are not being kept: ${reason}`,
    });
  }
}
