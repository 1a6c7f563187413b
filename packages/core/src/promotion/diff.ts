import type { ReleaseConfig } from "../release/config";

/** What one environment runs, as `slipway diff` compares it. */
export interface EnvironmentState {
  name: string;
  build: string | null;
  config: ReleaseConfig | null;
  /** The spec's strategy for the environment (kind, and steps for a canary), as JSON. */
  strategy: unknown;
}

export interface EnvironmentDiff {
  /** Both ids when the builds differ. */
  build?: [string | null, string | null];
  /** Per service: env keys only one side has, and keys whose values differ (never the values). */
  config: { service: string; onlyIn: Record<string, string[]>; changed: string[] }[];
  /** Per service: replicas and scale when they differ. */
  scale: { service: string; a: string; b: string }[];
  strategy?: [unknown, unknown];
  /** Services only one side runs. */
  services: { service: string; onlyIn: string }[];
}

/**
 * What differs between two environments: build, config keys, scale and strategy. Values of
 * config are never shown (they may be credentials): only which keys differ.
 */
export function diffEnvironments(a: EnvironmentState, b: EnvironmentState): EnvironmentDiff {
  const d: EnvironmentDiff = { config: [], scale: [], services: [] };
  if (a.build !== b.build) d.build = [a.build, b.build];
  const sa = a.config?.services ?? {};
  const sb = b.config?.services ?? {};
  for (const service of [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort()) {
    const x = sa[service];
    const y = sb[service];
    if (!x || !y) {
      d.services.push({ service, onlyIn: x ? a.name : b.name });
      continue;
    }
    const keys = [...new Set([...Object.keys(x.env), ...Object.keys(y.env)])].sort();
    const onlyA = keys.filter((k) => !Object.hasOwn(y.env, k));
    const onlyB = keys.filter((k) => !Object.hasOwn(x.env, k));
    const changed = keys.filter(
      (k) => Object.hasOwn(x.env, k) && Object.hasOwn(y.env, k) && x.env[k] !== y.env[k],
    );
    if (onlyA.length || onlyB.length || changed.length)
      d.config.push({
        service,
        onlyIn: {
          ...(onlyA.length ? { [a.name]: onlyA } : {}),
          ...(onlyB.length ? { [b.name]: onlyB } : {}),
        },
        changed,
      });
    const scale = (s: typeof x) =>
      `${s.replicas}${s.scale ? ` (min ${s.scale.min}, max ${s.scale.max})` : ""}`;
    if (scale(x) !== scale(y)) d.scale.push({ service, a: scale(x), b: scale(y) });
  }
  if (JSON.stringify(a.strategy) !== JSON.stringify(b.strategy)) d.strategy = [a.strategy, b.strategy];
  return d;
}
