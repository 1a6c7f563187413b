import { planDrain, serverName } from "@slipway/core";
import type { ProcessRow } from "@slipway/store";
import type { Ctx } from "../context";
import { edgeOf, syncEdge } from "./edge";

const IDLE_MS = 1_000;

/**
 * Finishes processes that left traffic (a release that is no longer live) in the
 * background, so a deploy is over at its switch and never waits for an old WebSocket:
 * each one gets SIGTERM once its in-flight requests are done (or half its drain budget has
 * passed, see `planDrain`) and SIGKILL at the end of its budget; then it leaves the edge.
 * Its state lives in the store (`draining` since `drain_started_at`), so a restarted control
 * plane carries on with the budget that is left.
 */
export class Drainer {
  readonly #stopping = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly ctx: Ctx) {}

  /** Look now (after a switch), and keep looking while anything drains. */
  kick(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#loop(), 0);
  }

  /**
   * Stops looking. Stops already begun go on without us: `down` waits for them through the
   * supervisor, and after a shutdown the next control plane finishes the drain.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }

  #loop(): void {
    this.#ticking = this.tick()
      .catch((e) => {
        this.ctx.log.error({ err: e }, "drain tick failed");
        return IDLE_MS;
      })
      .then((ms) => {
        if (!this.#stopped && ms !== undefined) this.#timer = setTimeout(() => this.#loop(), ms).unref();
      });
  }

  /** One look at every draining process; returns when to look again (undefined: nothing drains). */
  async tick(): Promise<number | undefined> {
    const rows = await this.ctx.store.processes.draining();
    if (!rows.length && !this.#stopping.size) return undefined;
    let next = IDLE_MS;
    for (const row of rows) {
      if (this.#stopping.has(row.id)) continue;
      if (!this.ctx.driver.runtime.has(row.id)) {
        this.#finish(row, Promise.resolve());
        continue;
      }
      const step = planDrain(
        {
          since: Date.parse(row.drainStartedAt!),
          drainMs: await drainMs(this.ctx, row),
          inFlight: await inFlight(this.ctx, row),
        },
        this.ctx.now(),
      );
      if (step.do === "wait") next = Math.min(next, Math.max(10, step.ms));
      else {
        this.#finish(row, this.ctx.driver.runtime.stop(row.id, step.graceMs));
        this.ctx.fault("drain:terminating");
      }
    }
    return next;
  }

  #finish(row: ProcessRow, stopped: Promise<void>): void {
    const done = stopped
      .then(async () => {
        await this.ctx.store.processes.gone(row.id);
        const env = (await this.ctx.store.environments.list()).find((e) => e.id === row.environmentId)!;
        await syncEdge(this.ctx, env);
        await this.ctx.event({
          kind: "process.drained",
          subject: row.id,
          message: `${row.id} drained and stopped`,
        });
      })
      .catch((e) => this.ctx.log.error({ err: e, process: row.id }, "could not finish draining"))
      .finally(() => this.#stopping.delete(row.id));
    this.#stopping.set(row.id, done);
  }
}

async function drainMs(ctx: Ctx, row: ProcessRow): Promise<number> {
  const release = await ctx.store.releases.getRelease(row.releaseId);
  return 1000 * (release?.config.services[row.service]?.drainSeconds ?? 30);
}

/** What the edge still has open to this process: requests, and long-lived connections. */
async function inFlight(ctx: Ctx, row: ProcessRow): Promise<number> {
  if (row.port === null) return 0;
  const env = (await ctx.store.environments.list()).find((e) => e.id === row.environmentId)!;
  const release = await ctx.store.releases.getRelease(row.releaseId);
  const sessions = await edgeOf(ctx, env)
    .sessions(row.service)
    .catch(() => ({}) as Record<string, number>);
  return sessions[serverName(release?.number ?? 0, row.replica)] ?? 0;
}
