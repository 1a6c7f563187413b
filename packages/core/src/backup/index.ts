export * from "./bucket-connection";
export * from "./policy";
export * from "./redis-snapshots";
export * from "./repository-choice";
export * from "./retention";
export * from "./types";
export * from "./window";
