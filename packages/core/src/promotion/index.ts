export * from "./chain";
export * from "./decide";
export * from "./freeze";
