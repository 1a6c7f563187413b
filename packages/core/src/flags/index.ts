export * from "./definitions";
export * from "./evaluate";
export * from "./gate";
