export * from "./build-rules";
export * from "./limits";
export * from "./manifest";
export * from "./tree-path";
