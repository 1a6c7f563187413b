import { InvalidArgumentError, Option } from "commander";
import { fail } from "../output";

/** Defined as true in the prebuilt client bundle (packages/cli/scripts/bundle.mjs). */
declare const SLIPWAY_BUNDLED: boolean | undefined;

/**
 * Loads a module of this package from its TypeScript source. The prebuilt bundle holds only
 * the client commands; `up` and the spec commands run the control plane and the spec loader,
 * which stay source (they read files beside their sources), so the bundle registers tsx first.
 * `file` is relative to src/; this module is src/program/options.ts, or inside dist/slipway.mjs.
 */
export async function fromSource<T>(file: string): Promise<T> {
  const bundled = typeof SLIPWAY_BUNDLED !== "undefined";
  if (bundled) (await import("tsx/esm/api")).register();
  return import(new URL(`${bundled ? "../src/" : "../"}${file}`, import.meta.url).href);
}

/** Every action reports errors the same way and exits non-zero. */
export const act =
  <A extends unknown[]>(fn: (...a: A) => Promise<void> | void) =>
  async (...a: A) => {
    const opts = a.find((x) => x && typeof x === "object" && "json" in (x as object)) as
      | { json?: boolean }
      | undefined;
    try {
      await fn(...a);
    } catch (e) {
      fail(e, !!opts?.json);
    }
  };

export const dirOpt = () =>
  new Option("--dir <path>", "the stack's directory (holds slipway.config.ts)").default(".");
export const envOpt = () => new Option("--env <name>", "environment").default("local");
export const jsonOpt = () => new Option("--json", "machine-readable output");

export const port = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`${flag} takes a port number 0-65535, got ${JSON.stringify(v)}`);
  return n;
};

export const releaseNumber = (flag: string) => (v: string) => {
  const n = Number(v.replace(/^v/, ""));
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} takes a release like v3 or 3, got ${JSON.stringify(v)}`);
  return n;
};

export const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} takes a whole number ≥ 1, got ${JSON.stringify(v)}`);
  return n;
};

/** `30d`, `12h`, `90m`, `2w` → seconds. */
export const duration = (flag: string) => (v: string) => {
  const m = /^(\d+)([mhdw])$/.exec(v.trim());
  const n = m ? Number(m[1]) : 0;
  if (!m || n < 1)
    throw new InvalidArgumentError(
      `${flag} takes a duration like 90m, 12h, 30d or 2w, got ${JSON.stringify(v)}`,
    );
  return n * { m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as "m" | "h" | "d" | "w"];
};
