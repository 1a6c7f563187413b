import type { FlagDefinition, ReleaseConfig } from "@slipway/core";
import { resolveServices, type Stack, secretRefsFor } from "@slipway/spec";

/** Freezes what running the spec in one environment needs into what a release records. */
export function releaseConfigFor(stack: Stack, env: string): ReleaseConfig {
  const secrets = secretRefsFor(stack.secrets, env);
  const services: ReleaseConfig["services"] = {};
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
