/**
 * The part of the Compose file model Slipway writes (see the vendored schema in
 * packages/render/schema/compose). Every string in it is written as Compose reads it: `$$` is a
 * literal `$`, `${NAME}` is filled from the `.env` file when `docker compose` runs.
 */
export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork>;
  volumes?: Record<string, Record<string, never>>;
  configs?: Record<string, { file: string }>;
}

export interface ComposeService {
  image: string;
  profiles?: string[];
  entrypoint?: string[];
  command?: string[];
  working_dir?: string;
  environment?: Record<string, string>;
  labels?: Record<string, string>;
  depends_on?: Record<string, { condition: DependsOnCondition }>;
  healthcheck?: ComposeHealthcheck;
  deploy?: { replicas?: number; resources?: { limits: { cpus: string; memory: string } } };
  restart?: "no" | "unless-stopped";
  init?: boolean;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  ports?: string[];
  networks?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
}

export type DependsOnCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period?: string;
}

export interface ComposeNetwork {
  /** No route out of the host, and only its members can reach each other on it. */
  internal?: boolean;
}

/** A literal for a Compose file: `$` would start an interpolation, `$$` is a `$`. */
export function literal(value: string): string {
  // A function: in a replacement string "$$" itself means one "$".
  return value.replaceAll("$", () => "$$");
}

/** `${NAME:?…}`: filled from `.env` when Compose runs, and Compose refuses to start without it. */
export function required(variable: string): string {
  return `\${${variable}:?set ${variable} in .env}`;
}

/** Compose's duration: "2s", or milliseconds for a fraction of a second. */
export function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}
