import { type ErrorCode, isErrorCode, SlipwayError } from "@slipway/core";
import { api, target } from "../client";
import { table } from "../output";

interface TableProgress {
  table: string;
  rows: number;
  total: number;
}
interface CopyView {
  id: string;
  from: string;
  to: string;
  addon: string;
  state: "running" | "succeeded" | "failed";
  database: string | null;
  tables: TableProgress[];
  error: { code: string; message: string; hint?: string } | null;
}

const POLL_MS = 300;

/**
 * `slipway data copy <from> <to> --mask`: the control plane copies; this follows it table by
 * table (rows copied of the source's total) and says what it did. With --json, stdout is JSON
 * lines: `{"progress": {table, rows, total}}` as tables move, then the result on the last line.
 */
export async function copy(o: { dir: string; from: string; to: string; addon?: string; json: boolean }) {
  const t = target(o.dir);
  if (!o.json)
    process.stderr.write(
      `copying ${o.from} into ${o.to}, masked by data.mask (the target's rows are replaced)…\n`,
    );
  const began = Date.now();
  let { copy: view } = await api<{ copy: CopyView }>(t, "POST", "/v1/data/copy", {
    from: o.from,
    to: o.to,
    mask: true,
    ...(o.addon ? { addon: o.addon } : {}),
  });
  const shown = new Map<string, number>();
  let lastLine: string | undefined;
  const show = (v: CopyView) => {
    for (const p of v.tables) {
      if (shown.get(p.table) === p.rows) continue;
      shown.set(p.table, p.rows);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ progress: p })}\n`);
        continue;
      }
      // In a terminal a table's line is rewritten in place; in a log each step is a line.
      if (process.stderr.isTTY && lastLine === p.table) process.stderr.write("\x1b[1A\x1b[2K");
      process.stderr.write(`  ${p.table}: ${p.rows} of ${p.total} rows\n`);
      lastLine = p.table;
    }
  };
  for (;;) {
    show(view);
    if (view.state !== "running") break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    view = (await api<{ copy: CopyView }>(t, "GET", `/v1/data/copies/${encodeURIComponent(view.id)}`)).copy;
  }
  if (view.state === "failed") throw copyError(view);
  const tables = view.tables.map((p) => ({ table: p.table, rows: p.rows }));
  const result = { from: view.from, to: view.to, addon: view.addon, database: view.database, tables };
  if (o.json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
  const rows = tables.reduce((n, x) => n + x.rows, 0);
  process.stdout.write(
    `${table(tables)}\n${view.to}'s ${view.addon} (database ${view.database}) now holds ${view.from}'s data, masked: ` +
      `${tables.length} tables, ${rows} rows in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
  );
}

/** The server's reason, with its code, as if the request itself had been refused. */
function copyError(view: CopyView): SlipwayError {
  const e = view.error ?? { code: "SLW_INTERNAL", message: "the copy failed without a reason" };
  const code: ErrorCode = isErrorCode(e.code) ? e.code : "SLW_INTERNAL";
  return new SlipwayError(code, e.message, e.hint);
}
