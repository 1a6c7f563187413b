import { api, target } from "../client";
import { printJson, table } from "../output";

interface CopyResult {
  from: string;
  to: string;
  addon: string;
  database: string;
  tables: { table: string; rows: number }[];
}

/** `slipway data copy <from> <to> --mask`: the control plane copies; this says what it did, table by table. */
export async function copy(o: { dir: string; from: string; to: string; addon?: string; json: boolean }) {
  const t = target(o.dir);
  if (!o.json)
    process.stderr.write(
      `copying ${o.from} into ${o.to}, masked by data.mask (the target's rows are replaced)…\n`,
    );
  const began = Date.now();
  const r = await api<CopyResult>(t, "POST", "/v1/data/copy", {
    from: o.from,
    to: o.to,
    mask: true,
    ...(o.addon ? { addon: o.addon } : {}),
  });
  if (o.json) return printJson(r);
  const rows = r.tables.reduce((n, x) => n + x.rows, 0);
  process.stdout.write(
    `${table(r.tables)}\n${r.to}'s ${r.addon} (database ${r.database}) now holds ${r.from}'s data, masked: ` +
      `${r.tables.length} tables, ${rows} rows in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
  );
}
