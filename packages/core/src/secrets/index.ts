export * from "./envelope";
export * from "./publish";
export * from "./refs";
export * from "./rotation";
