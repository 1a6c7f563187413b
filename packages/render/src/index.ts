export * from "./container";
export * from "./dockerfile";
export * from "./input";
