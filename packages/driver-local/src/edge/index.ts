export { HaproxyEdge, type HaproxyEdgeOptions } from "./haproxy-edge";
export { type EdgeLogEntry, EdgeLogReceiver, parseEdgeLogLine, type ServerTally } from "./log-receiver";
export {
  commandsFor,
  planCanaryCookie,
  planDrainCookies,
  planServerChanges,
  type ServerAction,
} from "./plan";
export {
  cookieName,
  LOG_FORMAT,
  type PublicBind,
  type RenderOptions,
  renderHaproxyConfig,
} from "./render";
export { RuntimeSocket } from "./runtime-socket";
export type * from "./types";
