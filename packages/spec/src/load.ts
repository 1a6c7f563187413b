import { stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import { evaluateSpecFile, SPEC_EXTENSIONS } from "./evaluate";
import { type Evaluation, evaluateInWorker } from "./evaluate-worker";
import type { SpecIssue } from "./issues";
import { type LoadResult, validateStack } from "./validate";

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
 * within `timeoutMs`) is a result with issues. Code runs in a worker thread (evaluate-worker.ts),
 * so an endless loop in a spec stalls neither the caller nor its event loop; what it exports
 * comes back as plain data and is validated here. Each call evaluates the file and the files it
 * imports afresh, so a watcher sees edits.
 * @example
 * const result = await loadStack(".");
 * if (!result.ok) console.error(formatIssues(result.issues));
 */
export async function loadStack(pathOrDir: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const target = resolve(pathOrDir);
  const found = await findSpecFile(target);
  if (!found.ok) return fail(target, found.issue);
  const file = found.file;
  const shown = displayPath(file);
  const timeoutMs = opts.timeoutMs ?? SPEC_EVALUATION_TIMEOUT_MS;
  // JSON cannot run code: parsed here, without a worker.
  const outcome: Evaluation =
    extname(file) === ".json"
      ? await evaluateSpecFile(file).then(
          (value) => ({ kind: "value", value }),
          (error: unknown) => ({ kind: "threw", error }),
        )
      : await evaluateInWorker(file, timeoutMs);
  switch (outcome.kind) {
    case "threw":
      return fail(file, loadFailed(shown, outcome.error));
    case "timeout":
      return fail(file, timedOut(shown, timeoutMs));
    case "exited":
      return fail(file, exited(shown, outcome.code));
  }
  if (outcome.value === undefined) return fail(file, noExport(shown));
  return { ...validateStack(outcome.value, shown), file };
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

function timedOut(shown: string, timeoutMs: number): SpecIssue {
  return issue(
    "SLW_SPEC_LOAD_FAILED",
    shown,
    `did not finish evaluating within ${timeoutMs / 1000} s (an endless loop, or a promise that never settles?)`,
    "a spec must evaluate quickly: remove the loop or the wait; nothing was changed",
  );
}

function exited(shown: string, code: number): SpecIssue {
  return issue(
    "SLW_SPEC_LOAD_FAILED",
    shown,
    `ended its evaluation (exit code ${code})`,
    "a spec must not exit the process: remove the process.exit() or what kills it",
  );
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
