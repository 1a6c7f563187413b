import { camelAll } from "./rows";
import type { Sql } from "./sql";
import type { EventRow } from "./types";

export interface NewEvent {
  actor: string;
  kind: string;
  subject: string;
  message: string;
  data?: Record<string, unknown>;
}

/** The append-only log every state change writes to: who, what, when, why. */
export function eventQueries(sql: Sql) {
  return {
    async append(e: NewEvent): Promise<number> {
      const [row] = await sql.query<{ seq: number | string }>(
        "insert into events (actor, kind, subject, message, data) values ($1, $2, $3, $4, $5) returning seq",
        [e.actor, e.kind, e.subject, e.message, JSON.stringify(e.data ?? {})],
      );
      return Number(row!.seq);
    },
    async list(opts: { after?: number; subjectPrefix?: string; limit?: number } = {}): Promise<EventRow[]> {
      const rows = await sql.query(
        `select * from events where seq > $1 and ($2::text is null or subject like $2 || '%')
         order by seq asc limit $3`,
        [opts.after ?? 0, opts.subjectPrefix ?? null, opts.limit ?? 500],
      );
      return camelAll<EventRow>(rows).map((e) => ({ ...e, seq: Number(e.seq) }));
    },
  };
}
