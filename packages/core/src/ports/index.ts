export type * from "./addons";
export type * from "./backups";
export type * from "./builder";
export type * from "./driver";
export type * from "./edge";
export type * from "./edge-types";
export { FORCE_CANARY_COOKIE, FORCE_CANARY_HEADER } from "./edge-types";
export type * from "./runtime";
