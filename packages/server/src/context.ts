import type { Driver } from "@slipway/core";
import type { Store } from "@slipway/store";
import type { Logger } from "pino";
import type { StatePaths } from "./paths";
import type { SecretBox } from "./secret-box";
import type { SecretVault } from "./secrets/vault";

/**
 * Everything the control plane's parts share, resolved once at start and passed explicitly.
 * No spec here: what runs is read from the release that runs it.
 */
export interface Ctx {
  store: Store;
  paths: StatePaths;
  box: SecretBox;
  /** Declared secrets, sealed under the master key (SLIPWAY_MASTER_KEY or .slipway/master.key). */
  vault: SecretVault;
  /** The target: processes, add-ons, edges and builds all go through its ports (wiring.ts picks it). */
  driver: Driver;
  stackId: string;
  projectDir: string;
  log: Logger;
  now: () => number;
  /** Where an edge port is reached from outside: a server's public origin. @default http://127.0.0.1 */
  edgeOrigin?: string;
  /** The API's URL once it listens (services get it to follow their flags). */
  apiUrl?(): string | undefined;
  /**
   * The API certificate's fingerprint when it is served over HTTPS: services pin it (the
   * runtime SDK reads SLIPWAY_API_FINGERPRINT), as a server's certificate is often self-signed.
   */
  apiFingerprint?: string;
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
