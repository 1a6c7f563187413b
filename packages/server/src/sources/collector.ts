import { readlinkSync } from "node:fs";
import { basename } from "node:path";
import type { Ctx } from "../context";
import { BlobStore } from "./blob-store";
import { collectGarbage, GC_DEFAULTS, type GcOptions, type GcReport } from "./gc";

/**
 * Runs the blob and source garbage collector on a schedule, after each deploy that went
 * live, and when an admin asks (`slipway server gc`); one collection at a time, a request
 * during one gets its report.
 */
export class SourceCollector {
  #timer?: NodeJS.Timeout;
  #running?: Promise<GcReport>;

  constructor(
    private readonly ctx: Ctx,
    private readonly options: GcOptions = GC_DEFAULTS,
  ) {}

  start(everyMs: number): void {
    this.#timer ??= setInterval(() => this.kick(), everyMs).unref();
  }

  /** A collection in the background (a deploy went live: older releases' trees may be free now). */
  kick(): void {
    this.collect("control-plane").catch((e: unknown) => this.ctx.log.error({ err: e }, "source gc failed"));
  }

  /** Collects now, or joins the collection running; an admin's run is always an audit event. */
  collect(actor: string): Promise<GcReport> {
    this.#running ??= this.run(actor).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  private async run(actor: string): Promise<GcReport> {
    const blobs = new BlobStore(this.ctx.paths.blobs);
    const r = await collectGarbage(
      this.ctx.store,
      blobs,
      this.ctx.paths.sources,
      this.options,
      this.ctx.now(),
      stackTree(this.ctx.paths.stack),
    );
    const removed = r.blobs.count + r.trees.count + r.sources.count + r.partials.count + r.temps.count;
    if (removed > 0 || actor !== "control-plane")
      await this.ctx.event({
        kind: "sources.gc",
        subject: this.ctx.stackId,
        actor,
        message: `source gc: ${r.blobs.count} blob(s), ${r.sources.count} source tree(s), ${r.partials.count} partial upload(s) removed, ${(r.freedBytes / 1024).toFixed(1)} kB freed`,
        data: { ...r },
      });
    return r;
  }
}

/** The source tree a server with no stack directory reads its spec from (its `stack` link), if any. */
function stackTree(link: string): string[] {
  try {
    return [basename(readlinkSync(link))];
  } catch {
    return [];
  }
}
