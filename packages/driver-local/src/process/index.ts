export type { ProcessHandle } from "@slipway/core";
export { type ProbeResult, probeHttp, probeTcp } from "./health";
export { type ReadLogOptions, readLog } from "./logs";
export { findByNonce, isAlive, liveGroupMembers, readStartTime, readStat } from "./proc";
export { terminateGroup } from "./signals";
export type { ProcessSpec } from "./spawn";
export {
  type ExitEvent,
  type ProcessState,
  type SupervisedProcess,
  Supervisor,
  type SupervisorEvents,
  type SupervisorOptions,
} from "./supervisor";
