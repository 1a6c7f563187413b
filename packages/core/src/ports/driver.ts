import type { AddonConfig } from "../release/config";
import type { AddonsPort } from "./addons";
import type { BackupsPort } from "./backups";
import type { BuilderPort } from "./builder";
import type { EdgePort, EdgeTarget } from "./edge";
import type { RuntimePort } from "./runtime";

/**
 * Everything the control plane asks of a target. The local driver runs it all as processes on
 * this machine; the in-memory fake runs nothing and lets tests decide what happens. The
 * control plane sees only this: one file wires a concrete driver in.
 */
export interface Driver {
  /** "local", "fake": shown in status and logs. */
  readonly name: string;
  runtime: RuntimePort;
  addons: AddonsPort;
  /** Postgres add-ons' continuous protection, restores and drills. */
  backups: BackupsPort;
  builder: BuilderPort;
  /** The edge of one environment (the same object for the same env each time). */
  edge(target: EdgeTarget): EdgePort;
  /**
   * Throws (SLW_BINARY_MISSING, saying what to install) when the target lacks something these
   * add-ons or an edge need: checked before anything starts.
   */
  preflight(needs: { addons: AddonConfig[]; edge: boolean }): void;
  /** Lets go of every process and edge without stopping them (the control plane exits; they outlive it). */
  detach(): Promise<void>;
}
