import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { CronRunRow } from "./types";

/** Runs of cron services. Each transition is one statement guarded by the expected state. */
export function cronRunQueries(sql: Sql) {
  return {
    /**
     * Claims a slot of a service before anything runs for it: false when it is already claimed
     * (by an earlier control plane, or a concurrent one), and then nothing must be started.
     */
    async claim(
      r: Pick<CronRunRow, "id" | "environmentId" | "releaseId" | "service" | "slot"> & {
        state: "starting" | "skipped";
        at: string;
      },
    ): Promise<boolean> {
      const rows = await sql.query(
        `insert into cron_runs (id, environment_id, release_id, service, slot, state, started_at, ended_at)
         values ($1, $2, $3, $4, $5, $6, $7, case when $6 = 'skipped' then $7::timestamptz end)
         on conflict do nothing returning id`,
        [r.id, r.environmentId, r.releaseId, r.service, r.slot, r.state, r.at],
      );
      return rows.length === 1;
    },
    /** starting → running, once the runner's pid is known. */
    async started(id: string, pid: number): Promise<boolean> {
      const rows = await sql.query(
        "update cron_runs set state = 'running', pid = $2 where id = $1 and state = 'starting' returning id",
        [id, pid],
      );
      return rows.length === 1;
    },
    /** starting|running → succeeded|failed|unknown, once. */
    async finish(id: string, state: "succeeded" | "failed" | "unknown", exitCode: number | null, at: string) {
      const rows = await sql.query(
        `update cron_runs set state = $2, exit_code = $3, ended_at = $4
         where id = $1 and state in ('starting', 'running') returning id`,
        [id, state, exitCode, at],
      );
      return rows.length === 1;
    },
    async unfinished(): Promise<CronRunRow[]> {
      return camelAll<CronRunRow>(
        await sql.query("select * from cron_runs where state in ('starting', 'running') order by slot"),
      );
    },
    /** The latest slot handled for a service (run or skipped), if any. */
    async latest(environmentId: string, service: string): Promise<CronRunRow | undefined> {
      const [row] = await sql.query(
        "select * from cron_runs where environment_id = $1 and service = $2 order by slot desc limit 1",
        [environmentId, service],
      );
      return row ? camel<CronRunRow>(row) : undefined;
    },
    /** Per service, its latest run that was not skipped. */
    async lastRuns(environmentId: string): Promise<CronRunRow[]> {
      return camelAll<CronRunRow>(
        await sql.query(
          `select distinct on (service) * from cron_runs
           where environment_id = $1 and state <> 'skipped' order by service, slot desc`,
          [environmentId],
        ),
      );
    },
    async get(id: string): Promise<CronRunRow | undefined> {
      const [row] = await sql.query("select * from cron_runs where id = $1", [id]);
      return row ? camel<CronRunRow>(row) : undefined;
    },
  };
}
