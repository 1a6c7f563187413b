import type { AddonsPort } from "./addons";
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
  builder: BuilderPort;
  /** The edge of one environment (the same object for the same env each time). */
  edge(target: EdgeTarget): EdgePort;
  /** Refuses to start, saying what to install, when the target lacks something the stack needs. */
  preflight(needs: { addons: AddonConfigKind[]; edge: boolean }): void;
}

type AddonConfigKind = "postgres" | "redis" | "bucket";
