/**
 * `$(NAME)` references inside a service's `command` items and `env` values: the Kubernetes
 * convention, so a published server that takes its port as a flag runs unchanged
 * (`["postgraphile", "--port", "$(PORT)"]`). Expanded by Slipway, never by a shell:
 * - `$(NAME)` is replaced by the value of NAME, one of the variables Slipway injects;
 * - `$$(` is a literal `$(`, so `$$(NAME)` stays `$(NAME)`;
 * - any other `$` is literal (`$HOME`, `a$b`, `$$` mean themselves);
 * - a `$(` not followed by a variable name and `)` is an error, never passed on silently.
 */

export type TemplatePart = { text: string } | { ref: string };

export type ParsedTemplate = { ok: true; parts: TemplatePart[] } | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits one string into literal text and references. Pure; never throws. */
export function parseTemplate(s: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("$$(", i)) {
      text += "$(";
      i += 3;
    } else if (s.startsWith("$(", i)) {
      const end = s.indexOf(")", i + 2);
      const name = end === -1 ? undefined : s.slice(i + 2, end);
      if (name === undefined || !NAME.test(name))
        return {
          ok: false,
          error: `${JSON.stringify(s.slice(i, end === -1 ? undefined : end + 1))} is not a reference like $(PORT)`,
        };
      if (text) parts.push({ text });
      text = "";
      parts.push({ ref: name });
      i = end + 1;
    } else {
      text += s[i];
      i += 1;
    }
  }
  if (text) parts.push({ text });
  return { ok: true, parts };
}

/** The variable names a string refers to (empty when it does not parse). */
export function referencedNames(s: string): string[] {
  const parsed = parseTemplate(s);
  return parsed.ok ? parsed.parts.flatMap((p) => ("ref" in p ? [p.ref] : [])) : [];
}

/** What is wrong with one string, given the names it may refer to; undefined when nothing is. */
export function templateProblem(s: string, known: ReadonlySet<string>): string | undefined {
  const parsed = parseTemplate(s);
  if (!parsed.ok) return `${parsed.error}; write $$( for a literal "$("`;
  const unknown = parsed.parts.flatMap((p) => ("ref" in p && !known.has(p.ref) ? [p.ref] : []));
  if (unknown.length)
    return `${unknown.map((n) => `$(${n})`).join(", ")} ${unknown.length > 1 ? "are not variables" : "is not a variable"} Slipway injects here`;
  return undefined;
}

export interface TemplateInput {
  /** Where the string came from, for the error: "command[2]", "env.PGURL". */
  where: string;
  value: string;
}

export type ExpandResult =
  | { ok: true; values: string[] }
  | { ok: false; problems: { where: string; message: string }[] };

/**
 * Expands every string, or none: a single unknown or malformed reference fails the whole set,
 * so a process never starts with half of its references replaced.
 */
export function expandTemplates(inputs: TemplateInput[], vars: Record<string, string>): ExpandResult {
  const known = new Set(Object.keys(vars));
  const problems = inputs.flatMap(({ where, value }) => {
    const message = templateProblem(value, known);
    return message ? [{ where, message }] : [];
  });
  if (problems.length) return { ok: false, problems };
  const values = inputs.map(({ value }) => {
    const parsed = parseTemplate(value) as { ok: true; parts: TemplatePart[] };
    return parsed.parts.map((p) => ("ref" in p ? vars[p.ref] : p.text)).join("");
  });
  return { ok: true, values };
}
