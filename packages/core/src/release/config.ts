import { createHash } from "node:crypto";
import type { BackupPolicy } from "../backup/policy";
import type { JudgePolicy } from "../canary/judge";
import type { ProbeSpec } from "../canary/probes";
import type { RolloutStrategy } from "../canary/steps";
import type { FlagDefinition } from "../flags/definitions";
import type { SecretRef } from "../secrets/refs";

/**
 * What a release freezes of the spec for one environment: never edited after creation, and
 * all that running it needs. Nothing reads a mutable "current spec" at run time: a rollback
 * brings back the services, routes, health checks and add-on declarations of its release.
 */
export interface ReleaseConfig {
  services: Record<string, ServiceConfig>;
  /** Routes are frozen with the release too: a rollback restores how traffic was routed. */
  routes: RouteConfig[];
  /**
   * The add-ons the release's services use, as declared. Absent in releases recorded before
   * add-ons were frozen (read them with `addonsOf`).
   */
  addons?: Record<string, AddonConfig>;
  /**
   * How a deploy builds the source (the spec's `build`), frozen with the rollout's config so
   * the build step never reads the spec. Absent: the target's default (`npm ci`).
   */
  build?: { command?: string[] };
  /** The spec's feature flags for this environment; their live state is in the store. */
  flags?: Record<string, FlagDefinition>;
  /**
   * Declared secrets as references (name → sealed version), never values: the version a
   * release names is the one its processes receive. Absent in releases before secrets.
   */
  secrets?: Record<string, SecretRef>;
  /**
   * The spec's `data.seed` (argv), frozen only for environments that may be seeded (not one
   * that requires approval): run after the release job when the environment's database is new.
   */
  seed?: string[];
  /** How the environment's postgres add-ons are protected. Absent in releases before backups: the defaults. */
  backup?: BackupPolicy;
  /**
   * How a deploy of this release moves traffic and how each step is judged (the environment's
   * `strategy`), so a rollout never reads the spec. Absent in older releases: direct.
   */
  rollout?: {
    strategy: RolloutStrategy;
    policy: JudgePolicy;
    /** How workers' jobs are judged (absent in releases made before they were). @default DEFAULT_JOB_POLICY */
    jobPolicy?: JudgePolicy;
  };
  /**
   * The probes that gate each step of a canary or blue/green rollout of this release (the
   * environment's `strategy.analysis.probes`). Absent: none.
   */
  probes?: ProbeSpec[];
}

export interface RouteConfig {
  path: string;
  host?: string;
  service: string;
}

export type AddonConfig = PostgresConfig | RedisConfig | BucketConfig;

export interface PostgresConfig {
  type: "postgres";
  version: number;
  /** The first is DATABASE_URL; each gets DATABASE_URL_<NAME>. */
  databases: string[];
  /** The bucket add-on holding the backup repository; absent: a local directory. */
  backup?: { bucket: string };
}

export interface RedisConfig {
  type: "redis";
  /** Like "64mb". */
  maxmemory: string;
  evictionPolicy: string;
  persistence: boolean;
  /** RDB snapshots into the backup repository; absent: none (see REDIS_SNAPSHOT_EVERY_MS). */
  backup?: { snapshots: "hourly" | "daily" };
}

export interface BucketConfig {
  type: "bucket";
  bucket?: string;
}

export interface ServiceConfig {
  type: "web" | "worker" | "cron" | "release";
  command: string[];
  env: Record<string, string>;
  /** Instances started by a deploy: the environment's scale.min (web and worker; 0 otherwise). */
  replicas: number;
  /** The environment's scale (web and worker): what an autoscaler may go up to. Absent in older releases. */
  scale?: { min: number; max: number };
  /** Port inside a container when rendered for another target; locally Slipway assigns $PORT. */
  port?: number;
  health?: HealthConfig;
  uses: string[];
  calls: string[];
  drainSeconds: number;
  /** Cron expression of a `cron` service (see core/cron). */
  schedule?: string;
  /** The release job's gate: the flag that must be on for it to run (see `jobGate`). */
  gatedBy?: string;
  /** The service has a persistent directory, kept across releases ($SLIPWAY_VOLUME). */
  volume?: boolean;
  /** CPU and memory of one instance, as the spec gives them; targets that enforce them default to DEFAULT_RESOURCES. */
  resources?: ResourcesConfig;
  /** The BullMQ queue a worker consumes: what a queue-length autoscaler watches. */
  queue?: string;
}

/** Kubernetes quantities, e.g. `{ cpu: "250m", memory: "256Mi" }`. */
export interface ResourcesConfig {
  cpu: string;
  memory: string;
}

/** What one instance gets where resources are enforced (not locally) when the spec says nothing. */
export const DEFAULT_RESOURCES: ResourcesConfig = { cpu: "250m", memory: "256Mi" };

export interface HealthConfig {
  /** http: GET path answers an `expect`ed status; tcp: the port accepts a connection; process: it stays up. Absent in releases recorded before kinds existed: http. */
  kind?: "http" | "tcp" | "process";
  path?: string;
  /** Accepted status codes and ranges ("200-399"); 2xx when absent. */
  expect?: (number | string)[];
  intervalSeconds: number;
  timeoutSeconds: number;
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

/**
 * The release's add-on declarations. A release recorded before they were frozen gets what the
 * store recorded of the environment's add-ons (name and kind), with the spec's defaults.
 */
export function addonsOf(
  config: ReleaseConfig,
  recorded: { name: string; kind: AddonConfig["type"] }[] = [],
): Record<string, AddonConfig> {
  return config.addons ?? Object.fromEntries(recorded.map((r) => [r.name, addonDefaults(r.kind)]));
}

/** The spec's defaults for an add-on of a kind (see the spec's add-on schemas). */
function addonDefaults(kind: AddonConfig["type"]): AddonConfig {
  switch (kind) {
    case "postgres":
      return { type: "postgres", version: 15, databases: ["app"] };
    case "redis":
      return { type: "redis", maxmemory: "64mb", evictionPolicy: "noeviction", persistence: false };
    case "bucket":
      return { type: "bucket" };
  }
}

/** Services that run as long-lived processes (web, worker); `release` and `cron` do not. */
export function longRunning(config: ReleaseConfig): [string, ServiceConfig][] {
  return Object.entries(config.services).filter(([, s]) => s.type === "web" || s.type === "worker");
}

/** The release job; the spec allows at most one `release` service. */
export function releaseJob(config: ReleaseConfig): [string, ServiceConfig] | undefined {
  return Object.entries(config.services).find(([, s]) => s.type === "release");
}

/** Services that run on a schedule. */
export function cronServices(config: ReleaseConfig): [string, ServiceConfig & { schedule: string }][] {
  return Object.entries(config.services).filter(
    (e): e is [string, ServiceConfig & { schedule: string }] => e[1].type === "cron" && !!e[1].schedule,
  );
}
