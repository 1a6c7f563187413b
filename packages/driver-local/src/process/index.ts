export type { ProcessHandle, ProcessSpec } from "@slipway/core";
export { probeHttp } from "./health";
export { type ReadLogOptions, readLog } from "./logs";
export { findByNonce, isAlive, liveGroupMembers, readStartTime, readStat } from "./proc";
export {
  type ExitEvent,
  type ProcessState,
  type SupervisedProcess,
  Supervisor,
  type SupervisorEvents,
  type SupervisorOptions,
} from "./supervisor";
