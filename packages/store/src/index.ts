export type { BackupRunOutcome } from "./backup-runs";
export type { EventQuery, NewEvent } from "./events";
export type { FlagChangeRow, FlagRow } from "./flags";
export type { JobCountRow } from "./job-counts";
export { openPglite, openPostgres, type Sql } from "./sql";
export { openStore, type Queries, type Store } from "./store";
export { hashToken } from "./tokens";
export type * from "./types";
