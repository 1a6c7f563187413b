import { readdirSync, readFileSync } from "node:fs";
import type { Sql } from "./sql";

const dir = new URL("./migrations/", import.meta.url);

/** Applies `migrations/NNN_*.sql` not yet applied, each in its own transaction, in order. */
export async function migrate(sql: Sql): Promise<string[]> {
  await sql.query(
    "create table if not exists slipway_migrations (name text primary key, applied_at timestamptz not null default now())",
  );
  const done = new Set(
    (await sql.query<{ name: string }>("select name from slipway_migrations")).map((r) => r.name),
  );
  const applied: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    if (done.has(file)) continue;
    const text = readFileSync(new URL(file, dir), "utf8");
    await sql.transaction(async (tx) => {
      await tx.exec(text);
      await tx.query("insert into slipway_migrations (name) values ($1)", [file]);
    });
    applied.push(file);
  }
  return applied;
}
