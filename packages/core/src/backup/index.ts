export * from "./retention";
export * from "./types";
export * from "./window";
