import { randomBytes } from "node:crypto";
import {
  type MaskProblem,
  type MaskRules,
  maskCell,
  planMaskedCopy,
  SlipwayError,
  type TableCopy,
  type TableCopyProgress,
} from "@slipway/core";
import pg from "pg";
import { type CatalogTable, databaseIdentity, readSequences, readTables } from "./postgres-catalog";

export interface MaskedCopyOptions {
  /** Connection string of the database copied from (prod's); only read, inside one snapshot. */
  source: string;
  /** Connection string of the database copied into (staging's); its tables' rows are replaced. */
  target: string;
  /** The spec's `data.mask`. */
  rules: MaskRules;
  /**
   * Key of the fakes. Tests pass one to get repeatable output; otherwise a fresh random key per
   * copy, never stored, so fakes cannot be reversed or matched between two copies.
   */
  secret?: Uint8Array;
  /** Rows held in memory at once, per table. @default 1000 */
  batchRows?: number;
  /** Hears every table with its total once the copy is planned (rows 0), then after each batch. */
  onProgress?: (p: TableCopyProgress) => void;
}

export interface MaskedCopyResult {
  /** Tables in the order they were loaded (parents first) and how many rows each got. */
  tables: Array<{ table: string; rows: number }>;
}

/**
 * Copies one Postgres database into another, masking as rows stream through this process:
 * nothing unmasked is written anywhere but the source. The whole copy is decided before a row
 * moves (`planMaskedCopy`: refused with SLW_MASK_REFUSED when a table or column has no fitting
 * rule), reads one consistent snapshot of the source, and lands in one transaction on the
 * target, which therefore keeps what it had if anything fails (SLW_DATA_COPY_FAILED).
 * The target must already have the schema (its release job ran the same migrations).
 */
export async function copyMaskedDatabase(opts: MaskedCopyOptions): Promise<MaskedCopyResult> {
  const source = new pg.Client({ connectionString: opts.source, application_name: "slipway-data-copy" });
  const target = new pg.Client({ connectionString: opts.target, application_name: "slipway-data-copy" });
  try {
    await connect(source, "source");
    await connect(target, "target");
    await refuseSameDatabase(source, target);
    await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const tables = await readTables(source);
    const plan = planMaskedCopy(opts.rules, tables);
    if (!plan.ok) throw maskRefused(plan.problems);
    const copies = plan.tables.map((copy) => ({ copy, sql: tables.find((t) => t.name === copy.table)!.sql }));
    await assertTargetHasColumns(target, plan.tables);
    const secret = opts.secret ?? randomBytes(32);
    const report = opts.onProgress ?? (() => {});
    // Counted in the same snapshot the rows are read from, so "rows of total" ends exactly at total.
    const totals = new Map<string, number>();
    for (const { copy, sql } of copies) totals.set(copy.table, await rowCount(source, sql));
    for (const [table, total] of totals) report({ table, rows: 0, total });
    const result = await inOneTransaction(target, async () => {
      if (copies.length > 0) await target.query(`TRUNCATE ${copies.map((c) => c.sql).join(", ")}`);
      const counts: MaskedCopyResult["tables"] = [];
      for (const { copy, sql } of copies) {
        const total = totals.get(copy.table)!;
        const onBatch = (rows: number) => report({ table: copy.table, rows, total });
        counts.push({
          table: copy.table,
          rows: await copyTable(source, target, copy, sql, secret, onBatch, opts.batchRows),
        });
      }
      await copySequences(source, target);
      return counts;
    });
    await source.query("COMMIT");
    return { tables: result };
  } finally {
    await Promise.allSettled([source.end(), target.end()]);
  }
}

async function connect(client: pg.Client, which: "source" | "target"): Promise<void> {
  await client.connect().catch((e: Error) => {
    throw new SlipwayError(
      "SLW_DATA_COPY_FAILED",
      `cannot connect to the ${which} database: ${e.message}`,
      `check that the ${which} environment's postgres add-on is running (slipway status)`,
    );
  });
}

async function refuseSameDatabase(source: pg.Client, target: pg.Client): Promise<void> {
  if ((await databaseIdentity(source)) === (await databaseIdentity(target)))
    throw new SlipwayError(
      "SLW_DATA_COPY_FAILED",
      "the source and the target are the same database",
      "copy from one environment's database into another's",
    );
}

function maskRefused(problems: MaskProblem[]): SlipwayError {
  const at = (p: MaskProblem) =>
    ["data", "mask", p.table, ...(p.column === undefined ? [] : [p.column])].join(".");
  return new SlipwayError(
    "SLW_MASK_REFUSED",
    `masked copy refused, nothing was copied:\n${problems.map((p) => `  ${at(p)}: ${p.message}. Fix: ${p.hint}`).join("\n")}`,
    "give every table and column a masking rule in data.mask (see docs/data-masking.md)",
    { problems: problems.map((p) => ({ path: at(p), message: p.message, hint: p.hint })) },
  );
}

/** Refuses before copying when the target is behind the source's schema. */
async function assertTargetHasColumns(target: pg.Client, copies: TableCopy[]): Promise<void> {
  const targetTables = new Map((await readTables(target)).map((t) => [t.name, t]));
  const missing = copies.flatMap((copy) => {
    const t = targetTables.get(copy.table);
    if (!t) return [copy.table];
    return copy.columns
      .filter((c) => !t.columns.some((tc) => tc.name === c.name))
      .map((c) => `${copy.table}.${c.name}`);
  });
  if (missing.length > 0)
    throw new SlipwayError(
      "SLW_DATA_COPY_FAILED",
      `the target database lacks ${missing.join(", ")}, which the source has; nothing was copied`,
      "deploy the same build to the target first so its migrations match, then copy again",
      { missing },
    );
}

async function inOneTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

/**
 * Streams one table through a cursor, `batchRows` at a time. Values travel as text (their
 * canonical output form) and are cast back to the column's type on insert, so any type
 * round-trips; columns left out (dropped, generated) get the target's default.
 */
async function copyTable(
  source: pg.Client,
  target: pg.Client,
  copy: TableCopy,
  table: CatalogTable["sql"],
  secret: Uint8Array,
  onBatch: (rowsSoFar: number) => void,
  batchRows = 1000,
): Promise<number> {
  const cols = copy.columns.map((c) => source.escapeIdentifier(c.name));
  if (cols.length === 0) {
    const rows = await copyRowCount(source, target, table);
    onBatch(rows);
    return rows;
  }
  const types = await columnTypes(target, table, copy);
  await source.query(
    `DECLARE slipway_copy NO SCROLL CURSOR FOR SELECT ${cols.map((c) => `${c}::text`).join(", ")} FROM ${table}`,
  );
  // OVERRIDING SYSTEM VALUE: identity columns take the copied ids, so foreign keys still point right.
  const insert = `INSERT INTO ${table} (${cols.join(", ")}) OVERRIDING SYSTEM VALUE
    SELECT ${cols.map((c, i) => `${c}::${types[i]}`).join(", ")}
    FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(", ")}) AS u(${cols.join(", ")})`;
  let rows = 0;
  try {
    for (;;) {
      const batch = await source.query<(string | null)[]>({
        text: `FETCH ${batchRows} FROM slipway_copy`,
        rowMode: "array",
      });
      if (batch.rows.length === 0) break;
      const columns = copy.columns.map((c, i) =>
        batch.rows.map((row) => maskCell(c.rule, row[i] ?? null, secret)),
      );
      await target.query(insert, columns).catch((e: Error) => {
        throw new SlipwayError(
          "SLW_DATA_COPY_FAILED",
          `copying ${copy.table} failed: ${e.message}; the target keeps what it had`,
        );
      });
      rows += batch.rows.length;
      onBatch(rows);
    }
  } finally {
    // After a failed read the source transaction is aborted and CLOSE would hide the real error.
    await source.query("CLOSE slipway_copy").catch(() => {});
  }
  return rows;
}

/** The target's type of each copied column, as SQL, for the casts back from text. */
async function columnTypes(target: pg.Client, table: string, copy: TableCopy): Promise<string[]> {
  const { rows } = await target.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  return copy.columns.map((c) => rows.find((r) => r.name === c.name)!.type);
}

async function rowCount(source: pg.Client, table: string): Promise<number> {
  const { rows } = await source.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** A table whose every column is dropped or generated still keeps its row count. */
async function copyRowCount(source: pg.Client, target: pg.Client, table: string): Promise<number> {
  const n = await rowCount(source, table);
  await target.query(`INSERT INTO ${table} SELECT FROM generate_series(1, $1::bigint)`, [n]);
  return n;
}

/** So the target's next insert does not collide with a copied id. */
async function copySequences(source: pg.Client, target: pg.Client): Promise<void> {
  for (const seq of await readSequences(source))
    await target.query(
      `SELECT setval(s.oid, $3::bigint, true) FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE s.relkind = 'S' AND n.nspname = $1 AND s.relname = $2`,
      [seq.schema, seq.name, seq.lastValue],
    );
}
