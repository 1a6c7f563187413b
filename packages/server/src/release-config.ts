import {
  DEFAULT_BACKUP_POLICY,
  type FlagDefinition,
  type ReleaseConfig,
  strategyFromSpec,
} from "@slipway/core";
import { resolveServices, type Stack, secretRefsFor } from "@slipway/spec";

/** Freezes what running the spec in one environment needs into what a release records. */
export function releaseConfigFor(stack: Stack, env: string): ReleaseConfig {
  const secrets = secretRefsFor(stack.secrets, env);
  const services: ReleaseConfig["services"] = {};
  const strategy = Object.hasOwn(stack.environments, env) ? stack.environments[env]!.strategy : undefined;
  for (const s of resolveServices(stack, env)) {
    const scaled = s.type === "web" || s.type === "worker";
    services[s.name] = {
      type: s.type,
      command: s.command,
      env: s.env,
      replicas: scaled ? s.scale.min : 0,
      ...(scaled ? { scale: { min: s.scale.min, max: s.scale.max } } : {}),
      ...(s.port !== undefined ? { port: s.port } : {}),
      ...(s.health ? { health: s.health } : {}),
      uses: s.uses,
      calls: s.calls,
      drainSeconds: s.drainSeconds,
      ...(s.schedule ? { schedule: s.schedule } : {}),
      ...(s.gatedBy !== undefined ? { gatedBy: s.gatedBy } : {}),
      ...(s.volume ? { volume: true } : {}),
      ...(s.resources ? { resources: { ...s.resources } } : {}),
      ...(s.queue ? { queue: s.queue } : {}),
    };
  }
  return {
    services,
    routes: stack.routes.map((r) => ({
      path: r.path,
      ...(r.host ? { host: r.host } : {}),
      service: r.service,
    })),
    addons: structuredClone(stack.addons),
    ...(stack.build.command ? { build: { command: [...stack.build.command] } } : {}),
    ...(Object.keys(stack.flags).length ? { flags: flagDefinitionsFor(stack, env) } : {}),
    // Versions are pinned when a deploy is requested (see secrets/pin.ts).
    ...(Object.keys(secrets).length ? { secrets } : {}),
    // Synthetic data never lands where releases need approval (prod): its data is real.
    ...(stack.data?.seed && !stack.environments[env]?.requiresApproval ? { seed: [...stack.data.seed] } : {}),
    backup: structuredClone(stack.environments[env]?.backup ?? DEFAULT_BACKUP_POLICY),
    // A direct strategy is the default and is left out, so existing configs hash as before.
    ...(strategy && strategy.kind !== "direct" ? { rollout: strategyFromSpec(strategy) } : {}),
    ...probesFor(stack, env),
  };
}

function flagDefinitionsFor(stack: Stack, env: string): Record<string, FlagDefinition> {
  return Object.fromEntries(
    Object.entries(stack.flags).map(([name, f]) => {
      const initial = Object.hasOwn(f.environments, env) ? f.environments[env] : undefined;
      const d: FlagDefinition = { default: f.default ?? false, killSwitch: f.killSwitch };
      if (f.description) d.description = f.description;
      if (initial) d.initial = structuredClone(initial);
      return [name, d];
    }),
  );
}

/** The environment's rollout probes; none (and no field, so older configs hash as before) when it has none. */
function probesFor(stack: Stack, env: string): Pick<ReleaseConfig, "probes"> {
  const strategy = Object.hasOwn(stack.environments, env) ? stack.environments[env]!.strategy : undefined;
  if (!strategy || strategy.kind === "direct" || strategy.analysis.probes.length === 0) return {};
  return { probes: structuredClone(strategy.analysis.probes) };
}
