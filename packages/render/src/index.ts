export * from "./container";
export * from "./dockerfile";
export * from "./github-actions";
export * from "./input";
export * from "./kubernetes";
