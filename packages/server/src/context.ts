import type { HaproxyEdge, RunAs, Supervisor } from "@slipway/driver-local";
import type { Stack } from "@slipway/spec";
import type { Store } from "@slipway/store";
import type { Logger } from "pino";
import type { StatePaths } from "./paths";
import type { SecretBox } from "./secret-box";

/** Everything the control plane's parts share, resolved once at start and passed explicitly. */
export interface Ctx {
  store: Store;
  paths: StatePaths;
  box: SecretBox;
  /** Who services, release jobs and builds run as (the app user when we are root). */
  runAs: RunAs | undefined;
  supervisor: Supervisor;
  edges: Map<string, HaproxyEdge>;
  stackId: string;
  projectDir: string;
  /** The spec as last loaded and validated; a deploy reloads it. */
  stack: Stack;
  log: Logger;
  now: () => number;
  /** Finishes retired processes in the background; kicked after a switch. */
  drainer: { kick(): void };
  /** A crash point for the crash-safety tests (see faults.ts); a no-op otherwise. */
  fault(point: string): void;
  event(e: {
    kind: string;
    subject: string;
    message: string;
    data?: Record<string, unknown>;
    actor?: string;
  }): Promise<void>;
}
