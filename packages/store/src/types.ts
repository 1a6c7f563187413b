import type { CanaryState, ReleaseConfig, RolloutCommand } from "@slipway/core";

/** Row shapes, camel-cased. Timestamps are ISO strings. */

export type Role = "viewer" | "deployer" | "approver" | "admin";

export interface EnvironmentRow {
  id: string;
  stackId: string;
  name: string;
  desired: "active" | "stopped";
  publicPort: number | null;
  edgeLogPort: number | null;
  internalPorts: Record<string, number>;
  liveReleaseId: string | null;
}

export interface AddonRow {
  id: string;
  environmentId: string;
  name: string;
  kind: "postgres" | "redis" | "bucket";
  port: number;
  passwordSealed: string;
  dataDir: string;
  pid: number | null;
}

export interface BuildRow {
  id: string;
  stackId: string;
  source: string;
  gitSha: string | null;
  dir: string;
  status: "building" | "ready" | "failed";
  output: string;
  createdAt: string;
}

export type JobStatus = "none" | "pending" | "running" | "succeeded" | "failed";

export interface ReleaseRow {
  id: string;
  environmentId: string;
  number: number;
  buildId: string;
  config: ReleaseConfig;
  configHash: string;
  description: string;
  rollbackOf: string | null;
  jobStatus: JobStatus;
  jobPid: number | null;
  jobExit: number | null;
  createdAt: string;
  /** The instance of each add-on its processes use (014); null in releases made before: the add-on's current one. */
  addonInstances: AddonInstances | null;
}

/** Add-on name → the instance (data directory and port) a release uses. */
export type AddonInstances = Record<string, { dataDir: string; port: number }>;

export interface RolloutRow {
  id: string;
  environmentId: string;
  kind: "deploy" | "rollback" | "restore" | "restart";
  fromReleaseId: string | null;
  toReleaseId: string | null;
  source: string | null;
  config: ReleaseConfig;
  phase: string;
  error: { code: string; message: string; hint?: string; output?: string } | null;
  actor: string;
  createdAt: string;
  updatedAt: string;
  /** A canary or blue/green rollout's step state, once its analysis began. */
  stepState: CanaryState | null;
  /** A human's command waiting for the next tick. */
  command: RolloutCommand | null;
}

/** One judgement of a canary rollout's step, and what the rollout did about it. */
export interface JudgementRow {
  id: number;
  rolloutId: string;
  at: string;
  step: number;
  weight: number;
  verdict: string;
  action: string;
  reason: string;
  judgement: unknown;
}

export interface ProcessRow {
  id: string;
  environmentId: string;
  releaseId: string;
  service: string;
  replica: number;
  port: number | null;
  pid: number | null;
  startTime: string | null;
  desired: "running" | "stopped";
  /** starting | running | restarting | draining | stopped */
  state: string;
  restarts: number;
  /** When it left traffic (ISO); its drain budget counts from here. */
  drainStartedAt: string | null;
  /** Carried in its environment as SLIPWAY_PROCESS_NONCE: finds it if its pid was never recorded. */
  nonce: string | null;
}

export interface EventRow {
  seq: number;
  at: string;
  actor: string;
  kind: string;
  subject: string;
  message: string;
  data: Record<string, unknown>;
}

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type CronRunState = "starting" | "running" | "succeeded" | "failed" | "skipped" | "unknown";

export interface CronRunRow {
  id: string;
  environmentId: string;
  releaseId: string;
  service: string;
  /** ISO time of the schedule slot this run is for. */
  slot: string;
  state: CronRunState;
  pid: number | null;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
}

export interface PromotionRow {
  id: string;
  stackId: string;
  fromEnv: string;
  toEnv: string;
  buildId: string;
  fromReleaseId: string;
  state: "awaiting-approval" | "released" | "rejected";
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  rolloutId: string | null;
}

export interface BuildRejectionRow {
  buildId: string;
  rejectedBy: string;
  reason: string;
  at: string;
}

export interface HoldRow {
  stackId: string;
  env: string;
  heldBy: string;
  reason: string;
  at: string;
}

export interface AutoDeployRow {
  stackId: string;
  env: string;
  repo: string;
  enabledBy: string;
  enabledAt: string;
  lastSha: string | null;
}

export interface BackupRunRow {
  id: string;
  environmentId: string;
  addon: string;
  kind: "base" | "restore" | "drill";
  state: "running" | "succeeded" | "failed";
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  target: string | null;
  backupId: string | null;
  restoredTo: string | null;
  newestHeartbeat: string | null;
  rpoMs: number | null;
  rtoMs: number | null;
  overTarget: boolean | null;
  instance: { dataDir: string; port: number } | null;
  error: string | null;
  switchedAt: string | null;
  replaced: { dataDir: string; port: number } | null;
  /** restore: when `backup drop` removed the copy, and who asked. */
  droppedAt: string | null;
  droppedBy: string | null;
}
