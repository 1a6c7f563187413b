import type { Ctx } from "../context";
import { protectedAddons } from "./protected-addons";

/**
 * Commits a heartbeat row every second into each database of each protected add-on
 * (`slipway.slipway_heartbeat`, made by the add-on's owner role): the newest one present in a
 * restored copy is what a drill's RPO is measured from.
 */
export class HeartbeatWriter {
  #timer?: NodeJS.Timeout;
  #beating?: Promise<void>;

  constructor(private readonly ctx: Ctx) {}

  start(everyMs = 1_000): void {
    this.#timer ??= setInterval(() => {
      this.#beating ??= this.beat().finally(() => (this.#beating = undefined));
    }, everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating;
  }

  /** One beat for every protected add-on; one that is down (restarting) misses this beat only. */
  async beat(): Promise<void> {
    for (const env of await this.ctx.store.environments.list()) {
      if (env.desired !== "active") continue;
      for (const a of await protectedAddons(this.ctx, env)) {
        if (!a.policy.enabled) continue;
        await this.ctx.driver.backups
          .heartbeat(a.record, a.config.databases, this.ctx.now())
          .catch((e: unknown) => this.ctx.log.debug({ err: e, addon: a.row.id }, "heartbeat missed"));
      }
    }
  }
}
