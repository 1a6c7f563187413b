import { stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import { evaluateSpecFile, SPEC_EXTENSIONS } from "./evaluate";
import type { SpecIssue } from "./issues";
import { type LoadResult, validateStack } from "./validate";

const BASENAME = "slipway.config";
const SEARCHED = SPEC_EXTENSIONS.map((ext) => BASENAME + ext);

/**
 * Finds, evaluates and validates a stack spec. Given a directory, it uses the first of
 * slipway.config.ts, .mts, .js, .mjs, .json found there; given a file, that file. Every
 * expected failure (missing file, a file that throws, an invalid spec) is a result with issues.
 * Each call evaluates the file and the files it imports afresh, so a watcher sees edits;
 * packages it imports are loaded once per process.
 * @example
 * const result = await loadStack(".");
 * if (!result.ok) console.error(formatIssues(result.issues));
 */
export async function loadStack(pathOrDir: string): Promise<LoadResult> {
  const target = resolve(pathOrDir);
  const found = await findSpecFile(target);
  if (!found.ok) return fail(target, found.issue);
  const file = found.file;
  const shown = displayPath(file);
  let value: unknown;
  try {
    value = await evaluateSpecFile(file);
  } catch (error) {
    return fail(file, loadFailed(shown, error));
  }
  if (value === undefined) return fail(file, noExport(shown));
  try {
    return { ...validateStack(value, shown), file };
  } catch (error) {
    // Only user code can throw here: a getter or proxy in the exported value.
    return fail(file, loadFailed(shown, error));
  }
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

function loadFailed(shown: string, error: unknown): SpecIssue {
  const message = cleanMessage(error);
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1];
  const hint = missing
    ? `install ${missing} (npm i -D ${missing}) or fix the import`
    : error instanceof SyntaxError || /Transform failed|Expected|Unexpected/.test(message)
      ? "fix the syntax error at the line shown"
      : "fix the error above; the file runs as a module, so anything it throws stops the load";
  return issue("SLW_SPEC_LOAD_FAILED", shown, `could not be evaluated: ${message}`, hint);
}

function noExport(shown: string): SpecIssue {
  return issue(
    "SLW_SPEC_INVALID",
    shown,
    "exports no stack (no default export and no `stack` export)",
    "end the file with `export default defineStack({ ... })`",
  );
}

/** The thrown message, without tsx's per-load namespace query that would change on every run. */
function cleanMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\?(?:tsx-)?namespace=[\w-]+/g, "").trim();
}

function issue(code: SpecIssue["code"], file: string, message: string, hint: string): SpecIssue {
  return { code, file, path: [], message, hint };
}

function fail(file: string, problem: SpecIssue): LoadResult {
  return { ok: false, file, issues: [problem] };
}

/** Paths inside the working directory are shown relative, as the user would type them. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}
