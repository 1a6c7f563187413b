import { camelAll } from "./rows";
import type { Sql } from "./sql";

export interface FlagRow {
  environmentId: string;
  name: string;
  state: Record<string, unknown>;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export interface FlagChangeRow {
  seq: number;
  name: string;
  version: number;
  state: Record<string, unknown>;
  at: string;
  actor: string;
}

/** Feature flags per environment: the current state and the history of every change. */
export function flagQueries(sql: Sql) {
  return {
    /**
     * Sets a flag's state if it is still at `expected` (0: not set yet), recording the change
     * in the history; undefined when someone changed it in between.
     */
    async set(
      environmentId: string,
      name: string,
      state: Record<string, unknown>,
      expected: number,
      actor: string,
    ): Promise<number | undefined> {
      return sql.transaction(async (tx) => {
        const rows = await tx.query<{ version: number }>(
          expected === 0
            ? `insert into flags (environment_id, name, state, version, updated_by) values ($1, $2, $3, 1, $4)
               on conflict do nothing returning version`
            : `update flags set state = $3, version = version + 1, updated_at = now(), updated_by = $4
               where environment_id = $1 and name = $2 and version = $5 returning version`,
          [environmentId, name, JSON.stringify(state), actor, ...(expected === 0 ? [] : [expected])],
        );
        const version = rows[0]?.version;
        if (version === undefined) return undefined;
        await tx.query(
          "insert into flag_changes (environment_id, name, version, state, actor) values ($1, $2, $3, $4, $5)",
          [environmentId, name, version, JSON.stringify(state), actor],
        );
        return version;
      });
    },
    async list(environmentId: string): Promise<FlagRow[]> {
      return camelAll<FlagRow>(
        await sql.query("select * from flags where environment_id = $1 order by name", [environmentId]),
      );
    },
    /** Newest first. */
    async history(environmentId: string, name: string, limit = 100): Promise<FlagChangeRow[]> {
      return camelAll<FlagChangeRow>(
        await sql.query(
          `select seq, name, version, state, at, actor from flag_changes
           where environment_id = $1 and name = $2 order by seq desc limit $3`,
          [environmentId, name, limit],
        ),
      ).map((c) => ({ ...c, seq: Number(c.seq) }));
    },
  };
}
