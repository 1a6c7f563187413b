import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { installSpecHooks, SPEC_PACKAGE_DIR } from "./spec-hooks";

/** The file types a spec may be written in, in the order a directory is searched. */
export const SPEC_EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".json"] as const;

const requireCache = createRequire(import.meta.url).cache;

/**
 * Evaluates a spec file and returns what it exports as the stack (`default`, else `stack`), or
 * undefined when it exports neither. Throws whatever the file throws; the caller turns that into
 * an SLW_SPEC_LOAD_FAILED issue.
 */
export async function evaluateSpecFile(file: string): Promise<unknown> {
  if (extname(file) === ".json") return parseJson(await readFile(file, "utf8"));
  installSpecHooks();
  return pickStackExport(await importFresh(file));
}

/**
 * tsImport gives every call its own namespace, so the spec and the files it imports are
 * evaluated afresh (packages go to one shared namespace instead: see spec-hooks.ts). CommonJS
 * modules (a .ts file in a package without "type": "module") are keyed by namespace too, but
 * Node's relative-resolve cache hands back the previous entry, so the entries this load added
 * are dropped from require.cache; packages stay, being neither edited by the spec's author nor
 * cheap to reload. What cannot be freed (tsx's hook per call, old ES module instances of the
 * spec's own files) is a few kilobytes per load and accepted.
 */
async function importFresh(file: string): Promise<unknown> {
  const before = new Set(Object.keys(requireCache));
  try {
    return await tsImport(pathToFileURL(file).href, import.meta.url);
  } finally {
    for (const key of Object.keys(requireCache))
      if (!before.has(key) && !isPackageFile(key)) delete requireCache[key];
  }
}

function isPackageFile(key: string): boolean {
  return key.includes("/node_modules/") || key.startsWith(SPEC_PACKAGE_DIR);
}

function pickStackExport(module: unknown): unknown {
  let value = exportOf(module);
  // A TypeScript file compiled to CommonJS arrives as { default: { __esModule, default: stack } }.
  if (isObject(value) && "__esModule" in value) value = exportOf(value);
  return value;
}

function exportOf(module: unknown): unknown {
  if (!isObject(module)) return undefined;
  return module.default ?? module.stack;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** JSON.parse, with the position turned into line:column, which editors can jump to. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message)?.[1];
    if (position === undefined) throw new SyntaxError(message);
    const before = text.slice(0, Number(position)).split("\n");
    throw new SyntaxError(`${message} (line ${before.length}, column ${before.at(-1)!.length + 1})`);
  }
}
