import { isSlipwayError } from "@slipway/core";

/** Exit codes: 0 ok; 1 the operation failed (deploy failed, server said no); 2 bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

const BAD_INPUT = new Set([
  "SLW_SPEC_INVALID",
  "SLW_SPEC_NOT_FOUND",
  "SLW_SPEC_LOAD_FAILED",
  "SLW_BAD_REQUEST",
  "SLW_RENDER_UNSUPPORTED",
]);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain, aligned table: what a person reads in a terminal. */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (!rows.length) return "(none)";
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? "-" : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join(
    "\n",
  );
}

/** Shows an error the way a person can act on it (no stack for user-fixable errors) and exits. */
export function fail(e: unknown, json: boolean): never {
  if (isSlipwayError(e)) {
    if (json) printJson({ error: { code: e.code, message: e.message, hint: e.hint, ...e.detail } });
    else {
      process.stderr.write(`error ${e.code}: ${e.message}\n`);
      const output = e.detail?.output;
      if (typeof output === "string" && output)
        process.stderr.write(`\n--- output ---\n${output.trimEnd()}\n--------------\n`);
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    }
    process.exit(BAD_INPUT.has(e.code) ? EXIT.badInput : EXIT.failed);
  }
  process.stderr.write(
    `slipway: unexpected error (a bug — please report it):\n${(e as Error)?.stack ?? e}\n`,
  );
  process.exit(EXIT.failed);
}

export interface RouteView {
  path: string;
  host: string | null;
  service: string;
  url: string | null;
  curl: string | null;
}

/**
 * Routes as a table, with the host each matches (two `/` routes differ only by it), and for
 * host routes the curl line that reaches them through the edge whatever DNS says.
 */
export function routesTable(routes: RouteView[]): string {
  const rows = routes.map((r) => ({
    route: r.path,
    host: r.host ?? "(any)",
    service: r.service,
    url: r.url,
  }));
  const hints = routes
    .filter((r) => r.host && r.curl)
    .map((r) => `${r.host} reaches ${r.service} when it resolves here; or: ${r.curl}`);
  return [table(rows), ...hints].join("\n");
}
