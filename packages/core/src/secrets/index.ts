export * from "./envelope";
export * from "./rotation";
