import { type ErrorCode, SlipwayError } from "@slipway/core";
import { api, type Target } from "./client";

interface RolloutView {
  rollout: {
    id: string;
    phase: string;
    kind: string;
    error: { code: string; message: string; hint?: string; output?: string } | null;
  };
  events: { seq: number; at: string; message: string }[];
}

/**
 * Prints a rollout's events as they happen (build, release job, start, switch, drain) and
 * returns when it is over; a failed rollout becomes an error carrying the job's output.
 */
export async function followRollout(
  t: Target,
  id: string,
  opts: { quiet: boolean },
): Promise<RolloutView["rollout"]> {
  const seen = new Set<number>();
  for (;;) {
    const view = await api<RolloutView>(t, "GET", `/v1/rollouts/${encodeURIComponent(id)}`);
    for (const e of view.events) {
      if (seen.has(e.seq)) continue;
      seen.add(e.seq);
      if (!opts.quiet) process.stderr.write(`  ${e.at.slice(11, 19)}  ${e.message}\n`);
    }
    const r = view.rollout;
    if (r.phase === "failed") {
      const err = r.error ?? { code: "SLW_INTERNAL", message: "the rollout failed" };
      throw new SlipwayError(err.code as ErrorCode, err.message, err.hint, {
        rollout: r.id,
        ...(err.output ? { output: err.output } : {}),
      });
    }
    if (r.phase === "succeeded") return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}
