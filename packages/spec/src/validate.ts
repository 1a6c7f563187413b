import type { SpecIssue } from "./issues";
import { type Stack, stackSchema } from "./schema";
import { specIssuesFromZod } from "./zod-issues";

/** The outcome of loading or validating a spec: a typed result, never an exception. */
export type LoadResult =
  | { ok: true; stack: Stack; file: string }
  | { ok: false; file: string; issues: SpecIssue[] };

/**
 * Validates a value (an evaluated config, an API body) against the stack schema and fills in
 * defaults. `file` names the source in messages.
 * @example validateStack(JSON.parse(body), "request body")
 */
export function validateStack(value: unknown, file = "<input>"): LoadResult {
  const parsed = stackSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, stack: parsed.data, file };
  const issues = specIssuesFromZod(parsed.error.issues, stackSchema, value, file);
  return { ok: false, file, issues };
}
