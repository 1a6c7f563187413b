export * from "./policy";
export * from "./retention";
export * from "./types";
export * from "./window";
