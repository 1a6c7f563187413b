import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The one seam between the store and a Postgres: a real server (the Slipway-managed cluster
 * under `.slipway/store`, or `SLIPWAY_DATABASE_URL`) or, where no server binary exists, the
 * embedded PGlite. Queries are parameterised SQL.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (migrations); no parameters. */
  exec(text: string): Promise<void>;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly kind: "pglite" | "postgres";
}

export async function openPglite(dataDir?: string): Promise<Sql> {
  // Loaded only when used: the wasm module alone costs hundreds of MB and seconds to start.
  const { PGlite } = await import("@electric-sql/pglite");
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  const wrap = (q: Pick<PGlite, "query" | "exec">): Omit<Sql, "transaction" | "close" | "kind"> => ({
    async query<T>(text: string, params: unknown[] = []) {
      return (await q.query<T>(text, params)).rows;
    },
    async exec(text: string) {
      await q.exec(text);
    },
  });
  return {
    kind: "pglite",
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(sqlOf(tx))),
    close: () => db.close(),
  };

  function sqlOf(tx: Pick<PGlite, "query" | "exec">): Sql {
    return { kind: "pglite", ...wrap(tx), transaction: (f) => f(sqlOf(tx)), close: async () => {} };
  }
}

export async function openPostgres(url: string): Promise<Sql> {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  await pool.query("select 1");
  return {
    kind: "postgres",
    async query<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
    },
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction(fn) {
      const client = await pool.connect();
      const tx: Sql = {
        kind: "postgres",
        async query<T>(text: string, params: unknown[] = []) {
          return (await client.query(text, params)).rows as T[];
        },
        async exec(text: string) {
          await client.query(text);
        },
        transaction: (f) => f(tx),
        close: async () => {},
      };
      try {
        await client.query("begin");
        const out = await fn(tx);
        await client.query("commit");
        return out;
      } catch (e) {
        await client.query("rollback");
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
