import type { FlagDefinition } from "./definitions";
import type { FlagState } from "./evaluate";

export type JobGate = { run: true } | { run: false; reason: string };

/**
 * Whether a release job gated by a flag runs now: only when the flag is on for everyone in
 * the environment (its stored state, else the spec's initial state or default). A flag on for
 * a percentage or an allow-list is not on for a migration, which runs once for everyone.
 */
export function jobGate(
  job: { name: string; gatedBy?: string },
  definitions: Record<string, FlagDefinition> | undefined,
  stored: FlagState | undefined,
): JobGate {
  if (job.gatedBy === undefined) return { run: true };
  const flag = job.gatedBy;
  const def = definitions?.[flag];
  const state = stored ?? def?.initial ?? { on: def?.default ?? false };
  const partial = state.on && state.percent !== undefined && state.percent < 100;
  if (state.on && !partial) return { run: true };
  return {
    run: false,
    reason: `${job.name} is gated by flag ${flag}, which is ${partial ? `on for ${state.percent}% only` : "off"}; turn it on (slipway flags set ${flag} on) and deploy again to run it`,
  };
}
