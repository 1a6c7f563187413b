import type { ReleaseConfig } from "../release/config";

export interface ManifestInput {
  environment: string;
  /** The live release, if anything is live. */
  live?: { number: number; buildId: string; gitSha: string | null; config: ReleaseConfig } | undefined;
  /** Where the environment's edge listens (a base URL), once it has one. */
  edgeUrl: string | null;
  /** Running processes per service of the live release. */
  running: Record<string, number>;
  /** When the live release took traffic (ISO). */
  lastApplied: string | null;
  /** What deploys it: the target and its version ("local", Slipway's version). */
  target: { name: string; version: string };
}

export interface ServiceManifest {
  type: string;
  /** Web services with a route: where the edge serves them. */
  url?: string;
  commit: string | null;
  /** "running 2/2", "stopped 0/1"; a release job or cron service says "on demand". */
  status: string;
}

export interface DeploymentManifest {
  version: string | null;
  environment: string;
  build: string | null;
  services: Record<string, ServiceManifest>;
  infrastructure: {
    target: string;
    versions: Record<string, string>;
    last_applied: string | null;
  };
}

/**
 * The deployment manifest of one environment (the seeds' shape: version, environment,
 * services with url and commit, infrastructure with versions and when it was last applied).
 */
export function deploymentManifest(m: ManifestInput): DeploymentManifest {
  const config = m.live?.config;
  const services: Record<string, ServiceManifest> = {};
  for (const [name, s] of Object.entries(config?.services ?? {})) {
    const route = config!.routes.find((r) => r.service === name);
    const scaled = s.type === "web" || s.type === "worker";
    const n = m.running[name] ?? 0;
    services[name] = {
      type: s.type,
      ...(route && m.edgeUrl ? { url: `${m.edgeUrl}${route.path}` } : {}),
      commit: m.live!.gitSha,
      status: scaled
        ? `${n >= s.replicas ? "running" : n > 0 ? "degraded" : "stopped"} ${n}/${s.replicas}`
        : "on demand",
    };
  }
  const versions: Record<string, string> = { [`slipway-${m.target.name}`]: m.target.version };
  for (const [name, a] of Object.entries(config?.addons ?? {}))
    versions[name] = a.type === "postgres" ? `postgres ${a.version}` : a.type;
  return {
    version: m.live ? `v${m.live.number}` : null,
    environment: m.environment,
    build: m.live?.buildId ?? null,
    services,
    infrastructure: { target: m.target.name, versions, last_applied: m.lastApplied },
  };
}
