import { randomBytes } from "node:crypto";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { BackupRunRow } from "./types";

/** What the outcome of a run may set (see 010_backup_runs.sql). */
export type BackupRunOutcome = Partial<
  Pick<
    BackupRunRow,
    "backupId" | "restoredTo" | "newestHeartbeat" | "rpoMs" | "rtoMs" | "overTarget" | "instance" | "error"
  >
>;

/** Base backups, restores and drills of postgres add-ons, as the control plane ran them. */
export function backupRunQueries(sql: Sql) {
  const get = async (id: string): Promise<BackupRunRow | undefined> => {
    const [row] = await sql.query("select * from backup_runs where id = $1", [id]);
    return row ? camel<BackupRunRow>(row) : undefined;
  };
  return {
    get,
    async start(r: {
      environmentId: string;
      addon: string;
      kind: BackupRunRow["kind"];
      requestedBy: string;
      at: number;
      target?: string;
    }): Promise<BackupRunRow> {
      const id = `bkr_${randomBytes(6).toString("hex")}`;
      await sql.query(
        `insert into backup_runs (id, environment_id, addon, kind, state, requested_by, started_at, target)
         values ($1, $2, $3, $4, 'running', $5, $6, $7)`,
        [id, r.environmentId, r.addon, r.kind, r.requestedBy, new Date(r.at), r.target ?? null],
      );
      return (await get(id))!;
    },
    /** running → succeeded | failed, once: false when it had already finished. */
    async finish(
      id: string,
      state: "succeeded" | "failed",
      at: number,
      o: BackupRunOutcome = {},
    ): Promise<boolean> {
      const rows = await sql.query(
        `update backup_runs set state = $2, finished_at = $3, backup_id = $4, restored_to = $5,
           newest_heartbeat = $6, rpo_ms = $7, rto_ms = $8, over_target = $9, instance = $10, error = $11
         where id = $1 and state = 'running' returning id`,
        [
          id,
          state,
          new Date(at),
          o.backupId ?? null,
          o.restoredTo ?? null,
          o.newestHeartbeat ?? null,
          o.rpoMs ?? null,
          o.rtoMs ?? null,
          o.overTarget ?? null,
          o.instance ? JSON.stringify(o.instance) : null,
          o.error ?? null,
        ],
      );
      return rows.length === 1;
    },
    /**
     * The restored copy in `dataDir` → switched to, as the release using it goes live (once: a
     * copy gone back to later keeps its first time): false when no such copy, or it already was.
     */
    async markSwitched(
      environmentId: string,
      addon: string,
      dataDir: string,
      replaced: { dataDir: string; port: number },
      at: number,
    ): Promise<boolean> {
      const rows = await sql.query(
        `update backup_runs set switched_at = $4, replaced = $5
         where environment_id = $1 and addon = $2 and kind = 'restore' and state = 'succeeded'
           and instance->>'dataDir' = $3 and switched_at is null returning id`,
        [environmentId, addon, dataDir, new Date(at), JSON.stringify(replaced)],
      );
      return rows.length === 1;
    },
    /** A restored copy → dropped (`backup drop`), once: false when it already was, or is not a copy. */
    async markDropped(id: string, actor: string, at: number): Promise<boolean> {
      const rows = await sql.query(
        `update backup_runs set dropped_at = $2, dropped_by = $3
         where id = $1 and kind = 'restore' and state = 'succeeded' and instance is not null
           and dropped_at is null returning id`,
        [id, new Date(at), actor],
      );
      return rows.length === 1;
    },
    /** Runs a control plane left running when it stopped: they did not finish. */
    async failAbandoned(at: number): Promise<number> {
      const rows = await sql.query(
        `update backup_runs set state = 'failed', finished_at = $1,
           error = 'the control plane stopped before it finished' where state = 'running' returning id`,
        [new Date(at)],
      );
      return rows.length;
    },
    async list(environmentId: string, addon?: string, limit = 50): Promise<BackupRunRow[]> {
      return camelAll<BackupRunRow>(
        await sql.query(
          `select * from backup_runs where environment_id = $1 and ($2::text is null or addon = $2)
           order by started_at desc limit $3`,
          [environmentId, addon ?? null, limit],
        ),
      );
    },
    /** The newest and the oldest succeeded run of a kind (what the schedule is judged from). */
    async succeeded(
      environmentId: string,
      addon: string,
      kind: BackupRunRow["kind"],
    ): Promise<{ first: string | undefined; last: string | undefined }> {
      const [row] = await sql.query<{ first: Date | null; last: Date | null }>(
        `select min(started_at) as first, max(started_at) as last from backup_runs
         where environment_id = $1 and addon = $2 and kind = $3 and state = 'succeeded'`,
        [environmentId, addon, kind],
      );
      return { first: row?.first?.toISOString(), last: row?.last?.toISOString() };
    },
  };
}
