import { camelAll } from "./rows";
import type { Sql } from "./sql";
import type { ProcessRow } from "./types";

export function processQueries(sql: Sql) {
  return {
    /**
     * Recorded before the process is spawned (state first, then action), with the nonce the
     * process will carry in its environment. A row whose process is gone gets the new port.
     */
    async plan(
      p: Pick<ProcessRow, "id" | "environmentId" | "releaseId" | "service" | "replica" | "port" | "nonce">,
    ) {
      await sql.query(
        `insert into processes (id, environment_id, release_id, service, replica, port, desired, nonce)
         values ($1, $2, $3, $4, $5, $6, 'running', $7)
         on conflict (id) do update set desired = 'running', state = 'starting', drain_started_at = null,
           nonce = excluded.nonce, updated_at = now(),
           port = case when processes.pid is null then excluded.port else processes.port end`,
        [p.id, p.environmentId, p.releaseId, p.service, p.replica, p.port, p.nonce],
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
    /** Its process is gone (stopped, or found dead): no pid to adopt or signal any more. */
    async gone(id: string): Promise<void> {
      await sql.query(
        "update processes set state = 'stopped', pid = null, start_time = null, updated_at = now() where id = $1",
        [id],
      );
    },
    /** Out of traffic from now on; stopped by the drainer within its drain budget. */
    async retire(ids: string[]): Promise<void> {
      if (!ids.length) return;
      await sql.query(
        `update processes set desired = 'stopped', state = case when pid is null then 'stopped' else 'draining' end,
           drain_started_at = coalesce(drain_started_at, now()), updated_at = now()
         where id = any($1::text[]) and desired = 'running'`,
        [ids],
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
    /** Processes out of traffic whose process may still run: what the drainer works on. */
    async draining(): Promise<ProcessRow[]> {
      return camelAll<ProcessRow>(
        await sql.query(
          "select * from processes where desired = 'stopped' and state = 'draining' order by drain_started_at, id",
        ),
      );
    },
  };
}
