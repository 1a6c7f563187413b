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

export interface EventQuery {
  /** Only events with a sequence number above this. */
  after?: number;
  /** Only events with a sequence number below this: the cursor of the next (older) page. */
  before?: number;
  /** Only events about this subject (exact, by index). */
  subject?: string;
  /** @default 100 */
  limit?: number;
}

/** The append-only log every state change writes to: who, what, when, why. */
export function eventQueries(sql: Sql) {
  const rows = (raw: Record<string, unknown>[]) =>
    camelAll<EventRow>(raw).map((e) => ({ ...e, seq: Number(e.seq) }));
  return {
    async append(e: NewEvent): Promise<number> {
      const [row] = await sql.query<{ seq: number | string }>(
        "insert into events (actor, kind, subject, message, data) values ($1, $2, $3, $4, $5) returning seq",
        [e.actor, e.kind, e.subject, e.message, JSON.stringify(e.data ?? {})],
      );
      return Number(row!.seq);
    },
    /** A page of the log, newest first. */
    async list(q: EventQuery = {}): Promise<EventRow[]> {
      return rows(
        await sql.query(
          `select * from events
           where seq > $1 and ($2::bigint is null or seq < $2) and ($3::text is null or subject = $3)
           order by seq desc limit $4`,
          [q.after ?? 0, q.before ?? null, q.subject ?? null, q.limit ?? 100],
        ),
      );
    },
    /** Every event about these subjects, oldest first (a rollout's story), by index. */
    async about(subjects: string[], limit = 5000): Promise<EventRow[]> {
      return rows(
        await sql.query("select * from events where subject = any($1::text[]) order by seq asc limit $2", [
          subjects,
          limit,
        ]),
      );
    },
  };
}
