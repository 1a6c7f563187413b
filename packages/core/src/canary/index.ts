// The product's canary decisions. The simulator (simulate, policies, scenarios, rollout-sim,
// random) is imported by path from the benchmark and the tests, not exported here.

export * from "./from-spec";
export * from "./group";
export * from "./jobs";
export * from "./judge";
export * from "./probes";
export * from "./sequential";
export * from "./steps";
export * from "./window";
