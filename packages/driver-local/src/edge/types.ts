/** The edge's contract is the edge port's, in core; re-exported for the driver's own files. */
export type {
  EdgeBackend,
  EdgeConfig,
  EdgeHealth,
  EdgeRoute,
  EdgeServer,
  EdgeServerState,
  LatencySummary,
  ServerStats,
  StatusCounts,
} from "@slipway/core";
