export * from "./backoff";
export * from "./clock";
export * from "./drain";
export * from "./proc-stat";
export * from "./types";
