import { createHash } from "node:crypto";

/** What a release freezes of the spec for one environment: never edited after creation. */
export interface ReleaseConfig {
  services: Record<string, ServiceConfig>;
  /** Routes are frozen with the release too: a rollback restores how traffic was routed. */
  routes: { path: string; host?: string; service: string }[];
}

export interface ServiceConfig {
  type: "web" | "worker" | "cron" | "release";
  command: string[];
  env: Record<string, string>;
  replicas: number;
  health?: { path: string; intervalSeconds: number; timeoutSeconds: number };
  uses: string[];
  calls: string[];
  drainSeconds: number;
}

/** Stable across key order, so the same config always hashes the same. */
export function configHash(config: ReleaseConfig): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** Services that run as long-lived processes (web, worker); `release` and `cron` do not. */
export function longRunning(config: ReleaseConfig): [string, ServiceConfig][] {
  return Object.entries(config.services).filter(([, s]) => s.type === "web" || s.type === "worker");
}

export function releaseJob(config: ReleaseConfig): [string, ServiceConfig] | undefined {
  return Object.entries(config.services).find(([, s]) => s.type === "release");
}
