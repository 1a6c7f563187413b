/** snake_case row → camelCase object; Dates become ISO strings, bigints numbers. */
export function camel<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const key = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = v instanceof Date ? v.toISOString() : typeof v === "bigint" ? Number(v) : v;
  }
  return out as T;
}

export function camelAll<T>(rows: Record<string, unknown>[]): T[] {
  return rows.map((r) => camel<T>(r));
}
