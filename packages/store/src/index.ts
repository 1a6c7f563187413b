export { hashToken } from "./tokens";
export type { NewEvent } from "./events";
export { type Sql, openPglite, openPostgres } from "./sql";
export { openStore, type Store } from "./store";
export type * from "./types";
