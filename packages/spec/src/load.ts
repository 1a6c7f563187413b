import { stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import { evaluateAndValidate, fail, issue, SPEC_EXTENSIONS } from "./evaluate";
import { evaluateInWorker } from "./evaluate-worker";
import type { SpecIssue } from "./issues";
import type { LoadResult } from "./validate";

const BASENAME = "slipway.config";
const SEARCHED = SPEC_EXTENSIONS.map((ext) => BASENAME + ext);

/** How long a spec may take to evaluate before the load gives up. */
export const SPEC_EVALUATION_TIMEOUT_MS = 10_000;

export interface LoadOptions {
  /** @default SPEC_EVALUATION_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * Finds, evaluates and validates a stack spec. Given a directory, it uses the first of
 * slipway.config.ts, .mts, .js, .mjs, .json found there; given a file, that file. Every
 * expected failure (missing file, a file that throws, an invalid spec, one that does not finish
 * within `timeoutMs`) is a result with issues. Code is evaluated in a worker thread (see
 * evaluate-worker.ts), so an endless loop in a spec stalls neither the caller nor its event loop.
 * Each call evaluates the file and the files it imports afresh, so a watcher sees edits.
 * @example
 * const result = await loadStack(".");
 * if (!result.ok) console.error(formatIssues(result.issues));
 */
export async function loadStack(pathOrDir: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const target = resolve(pathOrDir);
  const found = await findSpecFile(target);
  if (!found.ok) return fail(target, found.issue);
  const shown = displayPath(found.file);
  // JSON cannot run code: parsed and validated here, without a worker.
  if (extname(found.file) === ".json") return evaluateAndValidate(found.file, shown);
  return evaluateInWorker(found.file, shown, opts.timeoutMs ?? SPEC_EVALUATION_TIMEOUT_MS);
}

type Found = { ok: true; file: string } | { ok: false; issue: SpecIssue };

async function findSpecFile(target: string): Promise<Found> {
  const stats = await stat(target).catch(() => undefined);
  if (stats?.isDirectory()) {
    for (const name of SEARCHED) {
      const candidate = join(target, name);
      if ((await stat(candidate).catch(() => undefined))?.isFile()) return { ok: true, file: candidate };
    }
    return notFound(target, `no ${SEARCHED.join(", ")} in this directory`, "create one with `slipway init`");
  }
  if (!stats)
    return notFound(target, "no such file", "check the path, or create the spec with `slipway init`");
  if (!(SPEC_EXTENSIONS as readonly string[]).includes(extname(target)))
    return {
      ok: false,
      issue: issue(
        "SLW_SPEC_LOAD_FAILED",
        displayPath(target),
        `cannot load a ${extname(target) || "extensionless"} file as a spec`,
        `use a ${SPEC_EXTENSIONS.join(", ")} file`,
      ),
    };
  return { ok: true, file: target };
}

function notFound(target: string, message: string, hint: string): Found {
  return { ok: false, issue: issue("SLW_SPEC_NOT_FOUND", displayPath(target), message, hint) };
}

/** Paths inside the working directory are shown relative, as the user would type them. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}
