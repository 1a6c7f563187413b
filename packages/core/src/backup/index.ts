export * from "./copies";
export * from "./policy";
export * from "./redis-snapshots";
export * from "./retention";
export * from "./types";
export * from "./window";
