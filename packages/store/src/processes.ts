import { camelAll } from "./rows";
import type { Sql } from "./sql";
import type { ProcessRow } from "./types";

export function processQueries(sql: Sql) {
  return {
    /** Recorded before the process is spawned (state first, then action). */
    async plan(p: Pick<ProcessRow, "id" | "environmentId" | "releaseId" | "service" | "replica" | "port">) {
      await sql.query(
        `insert into processes (id, environment_id, release_id, service, replica, port, desired)
         values ($1, $2, $3, $4, $5, $6, 'running')
         on conflict (id) do update set desired = 'running', port = coalesce(processes.port, excluded.port)`,
        [p.id, p.environmentId, p.releaseId, p.service, p.replica, p.port],
      );
    },
    async started(id: string, pid: number, startTime: string): Promise<void> {
      await sql.query(
        "update processes set pid = $2, start_time = $3, state = 'starting', updated_at = now() where id = $1",
        [id, pid, startTime],
      );
    },
    async setState(id: string, state: string, restarted = false): Promise<void> {
      await sql.query(
        "update processes set state = $2, restarts = restarts + $3, updated_at = now() where id = $1",
        [id, state, restarted ? 1 : 0],
      );
    },
    async setDesired(id: string, desired: "running" | "stopped"): Promise<void> {
      await sql.query("update processes set desired = $2, updated_at = now() where id = $1", [id, desired]);
    },
    async forEnvironment(environmentId: string): Promise<ProcessRow[]> {
      return camelAll<ProcessRow>(
        await sql.query("select * from processes where environment_id = $1 order by service, replica, id", [
          environmentId,
        ]),
      );
    },
    async running(): Promise<ProcessRow[]> {
      return camelAll<ProcessRow>(
        await sql.query("select * from processes where desired = 'running' order by id"),
      );
    },
  };
}
