export * from "./edge/servers";
export * from "./errors";
export * from "./process";
export * from "./release/config";
export * from "./release/process-env";
export * from "./release/rollback";
export * from "./rollout/plan";
