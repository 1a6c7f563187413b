import type { ReleaseConfig } from "@slipway/core";
import { resolveServices, type Stack } from "@slipway/spec";

/** Freezes the spec's services for one environment into what a release records. */
export function releaseConfigFor(stack: Stack, env: string): ReleaseConfig {
  const services: ReleaseConfig["services"] = {};
  for (const s of resolveServices(stack, env)) {
    services[s.name] = {
      type: s.type,
      command: s.command,
      env: s.env,
      replicas: s.type === "web" || s.type === "worker" ? s.scale.min : 0,
      ...(s.health ? { health: s.health } : {}),
      uses: s.uses,
      calls: s.calls,
      drainSeconds: s.drainSeconds,
      ...(s.schedule ? { schedule: s.schedule } : {}),
      ...(s.volume ? { volume: true } : {}),
    };
  }
  return {
    services,
    routes: stack.routes.map((r) => ({
      path: r.path,
      ...(r.host ? { host: r.host } : {}),
      service: r.service,
    })),
  };
}
