export * from "./definitions";
export * from "./evaluate";
