import { fakeValue, LONGEST_FAKE } from "./fakes";
import type { MaskRule, MaskRules } from "./rules";

/** One column of a source table, as read from the catalogue. */
export interface SourceColumn {
  name: string;
  /** `format_type` of the column, e.g. "text", "character varying(255)", "bigint". */
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  /** A generated column is computed by the target from the (masked) others, so it is never copied. */
  generated: boolean;
}

/** One table of the source database: `name` is "users", or "audit.log" outside `public`. */
export interface SourceTable {
  name: string;
  columns: SourceColumn[];
  foreignKeys: ForeignKey[];
}

/** `columns` of a table point at `referencedColumns` of `table` (which may be the same table). */
export interface ForeignKey {
  columns: string[];
  table: string;
  referencedColumns: string[];
}

/** One table to copy: the columns written to the target and the rule each gets on the way. */
export interface TableCopy {
  table: string;
  columns: Array<{ name: string; rule: Exclude<MaskRule, "drop"> }>;
}

/** Why a copy was refused, at the rule's path (`data.mask.<table>.<column>`). */
export interface MaskProblem {
  table: string;
  column?: string;
  message: string;
  hint: string;
}

export type MaskPlan = { ok: true; tables: TableCopy[] } | { ok: false; problems: MaskProblem[] };

/**
 * Decides the whole copy before a row moves: every table and every column has a rule (or its
 * table is `safe`), each rule fits its column, and the tables come parents first, so each can be
 * loaded with its foreign keys already satisfied. Any problem refuses the whole copy.
 */
export function planMaskedCopy(rules: MaskRules, source: SourceTable[]): MaskPlan {
  const problems = [...unknownRuleProblems(rules, source), ...foreignKeyProblems(rules, source)];
  const copies: TableCopy[] = [];
  for (const table of source) {
    const rule = Object.hasOwn(rules, table.name) ? rules[table.name] : undefined;
    if (rule === undefined) problems.push(uncoveredTable(table));
    else if (rule === "safe") copies.push(wholeTable(table));
    else copies.push(maskedTable(table, rule, problems));
  }
  const order = parentsFirst(source, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, tables: order.map((name) => copies.find((c) => c.table === name)!) };
}

function unknownRuleProblems(rules: MaskRules, source: SourceTable[]): MaskProblem[] {
  const problems: MaskProblem[] = [];
  for (const [tableName, rule] of Object.entries(rules)) {
    const table = source.find((t) => t.name === tableName);
    if (!table) {
      problems.push({
        table: tableName,
        message: `the source database has no table ${JSON.stringify(tableName)}`,
        hint: `fix the name or remove the rule; tables: ${source.map((t) => t.name).join(", ") || "(none)"}`,
      });
      continue;
    }
    if (rule === "safe") continue;
    for (const column of Object.keys(rule))
      if (!table.columns.some((c) => c.name === column))
        problems.push({
          table: tableName,
          column,
          message: `table ${JSON.stringify(tableName)} has no column ${JSON.stringify(column)}`,
          hint: `fix the name or remove the rule; columns: ${table.columns.map((c) => c.name).join(", ")}`,
        });
  }
  return problems;
}

/**
 * A foreign key survives the copy only if both ends are masked alike: the same fake of the same
 * value matches, a fake never matches a kept value. `drop` on the referencing side is fine (NULL).
 */
function foreignKeyProblems(rules: MaskRules, source: SourceTable[]): MaskProblem[] {
  const ruleOf = (table: string, column: string): MaskRule | undefined => {
    const r = Object.hasOwn(rules, table) ? rules[table] : undefined;
    if (r === "safe") return "keep";
    return r && Object.hasOwn(r, column) ? r[column] : undefined;
  };
  return source.flatMap((t) =>
    t.foreignKeys.flatMap((fk) =>
      fk.columns.flatMap((column, i) => {
        const referenced = fk.referencedColumns[i]!;
        const mine = ruleOf(t.name, column);
        const theirs = ruleOf(fk.table, referenced);
        if (mine === undefined || theirs === undefined || mine === "drop" || mine === theirs) return [];
        return [
          {
            table: t.name,
            column,
            message: `it references ${fk.table}.${referenced}, masked "${theirs}", but is masked "${mine}", so the copied keys would not match`,
            hint: `give both columns the same rule ("${theirs}"), or "drop" this one`,
          },
        ];
      }),
    ),
  );
}

function uncoveredTable(table: SourceTable): MaskProblem {
  return {
    table: table.name,
    message: `table ${JSON.stringify(table.name)} has no masking rule, so it could hold personal data`,
    hint: `add data.mask[${JSON.stringify(table.name)}] with a rule for each column (${table.columns
      .filter((c) => !c.generated)
      .map((c) => c.name)
      .join(", ")}), or "safe" if nothing in it is personal`,
  };
}

function wholeTable(table: SourceTable): TableCopy {
  return {
    table: table.name,
    columns: table.columns.filter((c) => !c.generated).map((c) => ({ name: c.name, rule: "keep" })),
  };
}

function maskedTable(
  table: SourceTable,
  rules: Record<string, MaskRule>,
  problems: MaskProblem[],
): TableCopy {
  const columns: TableCopy["columns"] = [];
  for (const column of table.columns) {
    const rule = Object.hasOwn(rules, column.name) ? rules[column.name] : undefined;
    const problem = columnProblem(table.name, column, rule);
    if (problem) problems.push(problem);
    else if (rule !== undefined && rule !== "drop") columns.push({ name: column.name, rule });
  }
  return { table: table.name, columns };
}

// citext is an extension's type: format_type may qualify it with its schema.
const TEXT_TYPE = /^(text|(\w+\.)?citext|character varying|character|varchar|char|bpchar)\b/;

function columnProblem(
  table: string,
  column: SourceColumn,
  rule: MaskRule | undefined,
): MaskProblem | undefined {
  const at = { table, column: column.name };
  if (column.generated)
    return rule === undefined
      ? undefined
      : {
          ...at,
          message: "a generated column is computed from the others and is never copied",
          hint: "remove its rule",
        };
  if (rule === undefined)
    return {
      ...at,
      message: `column ${JSON.stringify(column.name)} of ${JSON.stringify(table)} has no masking rule, so it could hold personal data`,
      hint: 'add a rule: "email", "name", "phone", "text", "drop" or "keep"',
    };
  if (rule === "drop" && !column.nullable && !column.hasDefault)
    return {
      ...at,
      message: `"drop" leaves the column empty, but it is NOT NULL without a default (${column.type})`,
      hint: 'use a fake ("text", "name"…) or "keep", or give the column a default',
    };
  if (rule === "phone" || rule === "drop" || rule === "keep") return undefined;
  if (!TEXT_TYPE.test(column.type))
    return {
      ...at,
      message: `"${rule}" writes text, but the column is ${column.type}`,
      hint: 'use "drop" or "keep" for a non-text column',
    };
  const limit = column.type.match(/\((\d+)\)/);
  if (limit && Number(limit[1]) < LONGEST_FAKE[rule])
    return {
      ...at,
      message: `the "${rule}" fake is up to ${LONGEST_FAKE[rule]} characters, more than ${column.type} holds`,
      hint: `widen the column to at least ${LONGEST_FAKE[rule]}, or use "drop"`,
    };
  return undefined;
}

/**
 * Tables ordered so that each comes after the tables it references (ties by name, so the order
 * is stable). A table that references itself is fine: Postgres checks a statement's foreign
 * keys when it ends. A cycle between tables is refused: no order satisfies it.
 */
function parentsFirst(source: SourceTable[], problems: MaskProblem[]): string[] {
  const pending = new Map(
    source.map((t) => [
      t.name,
      new Set(
        t.foreignKeys.map((fk) => fk.table).filter((r) => r !== t.name && source.some((s) => s.name === r)),
      ),
    ]),
  );
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, refs]) => refs.size === 0).map(([name]) => name);
    if (ready.length === 0) {
      for (const name of [...pending.keys()].sort())
        problems.push({
          table: name,
          message: `${JSON.stringify(name)} is in a cycle of foreign keys (${[...pending.keys()].sort().join(", ")}), which a table-by-table copy cannot load`,
          hint: 'make one of the foreign keys DEFERRABLE or nullable and copy that table\'s column with "drop"',
        });
      break;
    }
    for (const name of ready.sort()) {
      order.push(name);
      pending.delete(name);
      for (const refs of pending.values()) refs.delete(name);
    }
  }
  return order;
}

/** The value a column rule writes: the fake, or the input untouched for `keep`. NULL stays NULL. */
export function maskCell(
  rule: Exclude<MaskRule, "drop">,
  value: string | null,
  secret: Uint8Array,
): string | null {
  if (value === null || rule === "keep") return value;
  return fakeValue(rule, value, secret);
}
