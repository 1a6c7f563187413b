import { api, target } from "../client";
import { printJson, table } from "../output";
import { kb } from "../upload/upload";

type Freed = { count: number; bytes: number };
interface GcReport {
  blobs: Freed;
  trees: Freed;
  sources: Freed;
  partials: Freed;
  temps: Freed;
  freedBytes: number;
}

/** `slipway server gc`: collects uploaded blobs and source trees now (admin) and says what was freed. */
export async function gc(o: { dir: string; json: boolean }): Promise<void> {
  const r = await api<GcReport>(target(o.dir), "POST", "/v1/sources/gc");
  if (o.json) return printJson(r);
  const rows = [
    ["file blobs", r.blobs],
    ["tree manifests", r.trees],
    ["source trees", r.sources],
    ["partial uploads", r.partials],
    ["crash leftovers", r.temps],
  ] as const;
  process.stdout.write(
    `${table(rows.map(([what, f]) => ({ removed: what, count: f.count, size: kb(f.bytes) })))}\nfreed ${kb(r.freedBytes)}\n`,
  );
}
