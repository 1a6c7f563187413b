export * from "./judge";
export * from "./policies";
export * from "./random";
export * from "./rollout-sim";
export * from "./scenarios";
export * from "./sequential";
export * from "./simulate";
export * from "./steps";
