export * from "./github-actions";
export * from "./input";
