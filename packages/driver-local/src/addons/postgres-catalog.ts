import type { SourceTable } from "@slipway/core";
import type pg from "pg";

/** A table as `planMaskedCopy` sees it, plus how to name it in SQL. */
export interface CatalogTable extends SourceTable {
  /** Quoted and schema-qualified, e.g. `"public"."users"`. */
  sql: string;
}

/**
 * The user tables of the database `client` is connected to (partitions are reached through
 * their parent), with their columns and foreign keys. Read-only: a masked copy reads the source
 * catalogue inside its snapshot, so it plans against exactly the rows it copies.
 */
export async function readTables(client: pg.Client): Promise<CatalogTable[]> {
  const { rows } = await client.query<{
    schema: string;
    table: string;
    columns: Array<{ name: string; type: string; notnull: boolean; hasdef: boolean; generated: boolean }>;
    fks: Array<{ schema: string; table: string; columns: string[]; refColumns: string[] }> | null;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table,
      (SELECT json_agg(json_build_object(
                'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull,
                'hasdef', a.atthasdef OR a.attidentity <> '', 'generated', a.attgenerated <> '')
              ORDER BY a.attnum)
         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
      (SELECT json_agg(json_build_object('schema', rn.nspname, 'table', r.relname,
                'columns', ARRAY(SELECT a.attname FROM unnest(f.conkey) WITH ORDINALITY k(n, i)
                                   JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n ORDER BY k.i),
                'refColumns', ARRAY(SELECT a.attname FROM unnest(f.confkey) WITH ORDINALITY k(n, i)
                                      JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n ORDER BY k.i)))
         FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE f.conrelid = c.oid AND f.contype = 'f') AS fks
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      -- slipway: the control plane's own heartbeat (backups), never the app's data to copy or mask
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'slipway') AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY n.nspname, c.relname`);
  return rows.map((r) => ({
    name: tableName(r.schema, r.table),
    sql: `${client.escapeIdentifier(r.schema)}.${client.escapeIdentifier(r.table)}`,
    columns: (r.columns ?? []).map((c) => ({
      name: c.name,
      type: c.type,
      nullable: !c.notnull,
      hasDefault: c.hasdef,
      generated: c.generated,
    })),
    foreignKeys: (r.fks ?? []).map((fk) => ({
      columns: fk.columns,
      table: tableName(fk.schema, fk.table),
      referencedColumns: fk.refColumns,
    })),
  }));
}

/** How rules name a table: bare in `public`, `schema.table` elsewhere. */
function tableName(schema: string, table: string): string {
  return schema === "public" ? table : `${schema}.${table}`;
}

/** Sequences that have been used, with the value the next `nextval` follows. */
export async function readSequences(
  client: pg.Client,
): Promise<Array<{ schema: string; name: string; lastValue: string }>> {
  const { rows } = await client.query<{ schema: string; name: string; last_value: string }>(
    `SELECT schemaname AS schema, sequencename AS name, last_value::text
       FROM pg_sequences WHERE last_value IS NOT NULL ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, lastValue: r.last_value }));
}

/**
 * What tells one database from another across servers: the server's start time and port and
 * the database's name. Used to refuse copying a database onto itself.
 */
export async function databaseIdentity(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    "SELECT concat_ws('/', pg_postmaster_start_time()::text, inet_server_port(), current_database()) AS id",
  );
  return rows[0]!.id;
}
