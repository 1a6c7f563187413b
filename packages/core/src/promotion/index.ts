export * from "./chain";
export * from "./decide";
export * from "./diff";
export * from "./freeze";
export * from "./manifest";
