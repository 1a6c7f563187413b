export * from "./backoff";
export * from "./clock";
export * from "./proc-stat";
export * from "./types";
