export * from "./judge";
export * from "./policies";
export * from "./random";
export * from "./scenarios";
export * from "./sequential";
export * from "./simulate";
export * from "./steps";
