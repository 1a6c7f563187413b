export * from "./errors";
export * from "./release/config";
export * from "./release/process-env";
export * from "./release/rollback";
export * from "./rollout/plan";
export * from "./edge/servers";
export * from "./process";
