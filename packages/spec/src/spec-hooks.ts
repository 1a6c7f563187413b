import Module, { register as registerHooks } from "node:module";
import { fileURLToPath } from "node:url";
import { register as registerTsx } from "tsx/esm/api";

const SPECIFIER = "@slipway/spec";
const ENTRY = new URL("./index.ts", import.meta.url);
const SHARED_NAMESPACE = "slipway-spec-packages";

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;
const cjsLoader = Module as unknown as { _resolveFilename: ResolveFilename };

// Module hooks are process-wide, so they are installed once per process whoever asks.
let installed = false;

/**
 * Installs, once, what spec loading needs beyond tsx. Must run before the first tsImport, so
 * these hooks sit behind tsx's per-load hooks in the chain.
 * - `import { defineStack } from "@slipway/spec"` works in a project that has not installed the
 *   package (a fresh `slipway init`, a temp dir): it falls back to this copy.
 * - Packages a spec imports are shared between loads (see spec-resolve-hook.mjs), so reloading a spec
 *   costs its own files, not another copy of zod each time.
 * CommonJS specs (a .ts file in a package without "type": "module") resolve through
 * Module._resolveFilename, the same seam tsx uses, and keep packages in require.cache anyway.
 */
export function installSpecHooks(): void {
  if (installed) return;
  installed = true;
  registerTsx({ namespace: SHARED_NAMESPACE });
  registerHooks(new URL("./spec-resolve-hook.mjs", import.meta.url), {
    data: { specifier: SPECIFIER, fallbackUrl: ENTRY.href, sharedNamespace: SHARED_NAMESPACE },
  });
  const original = cjsLoader._resolveFilename;
  cjsLoader._resolveFilename = function resolveWithSpecFallback(request, ...rest) {
    try {
      return original.call(this, request, ...rest);
    } catch (error) {
      if (request === SPECIFIER && isNotFound(error)) return fileURLToPath(ENTRY);
      throw error;
    }
  };
}

/** Files of this package: loaded by CommonJS specs through the fallback, and never edited by them. */
export const SPEC_PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "MODULE_NOT_FOUND";
}
