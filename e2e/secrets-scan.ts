import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The files under `dir` (data directories, logs, builds, the state store) whose bytes hold any
 * of `values` in plaintext. Postgres removes some files as it runs (pg_internal.init, temp
 * files): one gone since the listing holds nothing.
 */
export function filesHoldingPlaintext(dir: string, values: string[]): string[] {
  const held: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readIfThere(file);
    if (bytes && values.some((v) => bytes.includes(v))) held.push(file);
  }
  return held;
}

/** Every regular file under a directory. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
