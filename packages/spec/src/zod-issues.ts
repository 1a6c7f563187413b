import { z } from "zod";
import { describeValue, formatPath, type SpecIssue } from "./issues";
import { NAME_PATTERN } from "./schema";
import { allowedKeys, type FieldInfo, fieldAt } from "./schema-walk";
import { closestMatch, suggestName } from "./suggest";

type ZodIssue = z.core.$ZodIssue;
type Problem = Omit<SpecIssue, "code" | "file">;

const SEE_SCHEMA = "run `slipway schema` to see what this field accepts";
const ROOT_HINT = 'export an object like defineStack({ name: "shop", services: { ... } })';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Turns zod's issues into SpecIssues that say expected / got / fix. `root` and `input` let an
 * issue look up its field (allowed keys, description). One issue per field: zod can report a
 * field twice (`max` too small and `max < min`); the first is the more specific.
 */
export function specIssuesFromZod(
  issues: readonly ZodIssue[],
  root: z.ZodType,
  input: unknown,
  file: string,
): SpecIssue[] {
  const seen = new Set<string>();
  const result: SpecIssue[] = [];
  for (const issue of issues)
    for (const problem of explain(issue, root, input)) {
      const key = formatPath(problem.path);
      if (seen.has(key)) continue;
      seen.add(key);
      result.push({ code: "SLW_SPEC_INVALID", file, ...problem });
    }
  return result;
}

function explain(issue: ZodIssue, root: z.ZodType, input: unknown): Problem[] {
  const path = issue.path.map((key) => (typeof key === "symbol" ? String(key) : key));
  const field = () => fieldAt(root, issue.path, input);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKey([...path, key], key, allowedKeys(field())));
    case "invalid_key":
      return [badKey(path, issue)];
    case "invalid_type":
      return [wrongType(path, issue, field())];
    case "too_small":
    case "too_big":
      return [outOfRange(path, issue)];
    case "invalid_format":
      return [badFormat(path, issue)];
    case "invalid_value":
      return [notOneOf(path, issue.values.map(String), issue.input)];
    case "invalid_union":
      return (
        closestUnionBranch(issue)?.flatMap((inner) => explain(inner, root, input)) ?? [
          noUnionMatch(path, issue),
        ]
      );
    case "custom":
      return [custom(path, issue)];
    default:
      return [{ path, message: issue.message, hint: SEE_SCHEMA }];
  }
}

function unknownKey(path: (string | number)[], key: string, allowed: string[]): Problem {
  const expected = allowed.length > 0 ? `one of the keys ${allowed.join(", ")}` : "no other keys";
  const suggestion = closestMatch(key, allowed);
  return {
    path,
    message: `expected ${expected}, got unknown key ${JSON.stringify(key)}`,
    expected,
    received: JSON.stringify(key),
    hint: suggestion ? `did you mean \`${suggestion}\`?` : "remove it (keys are case-sensitive)",
  };
}

/** A record key (a service, add-on or env var name) that fails its pattern. */
function badKey(path: (string | number)[], issue: z.core.$ZodIssueInvalidKey): Problem {
  const key = String(issue.input ?? path.at(-1));
  const rule = issue.issues[0]?.message ?? "not an allowed name";
  return {
    path,
    message: `${rule}; got ${describeValue(key)}`,
    expected: rule,
    received: describeValue(key),
    hint: renameHint(key, isEnvPattern(issue.issues[0]) ? ENV_NAME : NAME_PATTERN),
  };
}

function isEnvPattern(inner: ZodIssue | undefined): boolean {
  return inner?.code === "invalid_format" && inner.pattern === String(ENV_NAME);
}

function wrongType(
  path: (string | number)[],
  issue: z.core.$ZodIssueInvalidType,
  field?: FieldInfo,
): Problem {
  const expected = describeType(issue.expected, field);
  const received = describeValue(issue.input);
  if (path.length === 0)
    return { path, message: `expected ${expected}, got ${received}`, expected, received, hint: ROOT_HINT };
  const about = field?.description ? ` (${field.description.replace(/\.$/, "")})` : "";
  const last = path.at(-1);
  if (issue.input === undefined)
    return {
      path,
      message: `expected ${expected}, got nothing`,
      expected,
      received,
      hint: `add \`${String(last)}\`${about}`,
    };
  // The classic mistake: a command written as one shell string. We never run a shell, so show the argv.
  const argv =
    issue.expected === "array" && typeof issue.input === "string"
      ? issue.input.trim().split(/\s+/)
      : undefined;
  return {
    path,
    message: `expected ${expected}, got ${received}`,
    expected,
    received,
    hint: argv
      ? `write it as an array: ${JSON.stringify(argv)} (it runs without a shell)`
      : `use ${expected}${about}`,
  };
}

function describeType(expected: string, field?: FieldInfo): string {
  if (expected === "array" && field?.schema instanceof z.ZodArray)
    return field.schema.element instanceof z.ZodString ? "an array of strings" : "an array";
  const words: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "an integer",
    boolean: "true or false",
    array: "an array",
    object: "an object",
    record: "an object",
  };
  return words[expected] ?? `a value of type ${expected}`;
}

function outOfRange(
  path: (string | number)[],
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
): Problem {
  const small = issue.code === "too_small";
  const limit = small
    ? (issue as z.core.$ZodIssueTooSmall).minimum
    : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  const received = describeValue(issue.input);
  if (issue.origin === "array" || issue.origin === "string" || issue.origin === "set") {
    const unit = issue.origin === "string" ? "character" : "item";
    const bound = `${small ? "at least" : "at most"} ${limit} ${unit}${limit === 1 ? "" : "s"}`;
    const count = lengthOf(issue.input);
    return {
      path,
      message: `expected ${bound}, got ${count === undefined ? received : count}`,
      expected: bound,
      received,
      hint: small ? `give ${bound}` : `remove entries until there are ${bound}`,
    };
  }
  const op = small ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<";
  const kind = issue.origin === "int" ? "an integer" : "a number";
  const expected = `${kind} ${op} ${limit}`;
  const fix = small
    ? inclusive
      ? `${limit} or more`
      : `more than ${limit}`
    : inclusive
      ? `${limit} or less`
      : `less than ${limit}`;
  return {
    path,
    message: `expected ${expected}, got ${received}`,
    expected,
    received,
    hint: `set it to ${fix}`,
  };
}

function lengthOf(value: unknown): string | undefined {
  if (typeof value === "string") return `${value.length} characters`;
  if (Array.isArray(value)) return `${value.length} items`;
  return undefined;
}

function badFormat(path: (string | number)[], issue: z.core.$ZodIssueInvalidStringFormat): Problem {
  const received = describeValue(issue.input);
  const value = issue.input ?? "";
  if (issue.format === "starts_with" && "prefix" in issue) {
    const prefix = String(issue.prefix);
    return {
      path,
      message: `expected a string starting with ${JSON.stringify(prefix)}, got ${received}`,
      expected: `a string starting with ${JSON.stringify(prefix)}`,
      received,
      hint: `write it as ${JSON.stringify(prefix + value)}`,
    };
  }
  if (issue.format === "regex" && issue.pattern === String(NAME_PATTERN))
    return {
      path,
      message: `${issue.message}; got ${received}`,
      expected: issue.message,
      received,
      hint: renameHint(value, NAME_PATTERN),
    };
  return {
    path,
    message: `${issue.message}; got ${received}`,
    expected: issue.message,
    received,
    hint: issue.pattern ? `make it match ${issue.pattern}` : SEE_SCHEMA,
  };
}

function renameHint(bad: string, pattern: RegExp): string {
  const suggestion = pattern === ENV_NAME ? envNameLike(bad) : suggestName(bad, pattern);
  return suggestion
    ? `rename it, e.g. ${JSON.stringify(suggestion)}`
    : "rename it to lowercase letters, digits and '-'";
}

function envNameLike(bad: string): string | undefined {
  const name = bad.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^(?=\d)/, "_");
  return ENV_NAME.test(name) ? name : undefined;
}

function notOneOf(path: (string | number)[], values: string[], input: unknown): Problem {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  const received = describeValue(input);
  const suggestion = typeof input === "string" ? closestMatch(input, values) : undefined;
  return {
    path,
    message: `expected ${expected}, got ${received}`,
    expected,
    received,
    hint: suggestion
      ? `did you mean ${JSON.stringify(suggestion)}?`
      : `${input === undefined ? "add it" : "use"}: ${expected}`,
  };
}

function noUnionMatch(path: (string | number)[], issue: z.core.$ZodIssueInvalidUnion): Problem {
  if (issue.discriminator && "options" in issue && issue.options) {
    const tag = tagOf(issue.input, issue.discriminator);
    return notOneOf(path, issue.options.map(String), tag);
  }
  return { path, message: "does not match any allowed form", hint: SEE_SCHEMA };
}

/**
 * When all but one of a union's forms reject the value as a whole (a string where an object is
 * wanted), the value was meant for that one form: its own issues say what is wrong inside it.
 */
function closestUnionBranch(issue: z.core.$ZodIssueInvalidUnion): ZodIssue[] | undefined {
  const candidates = issue.errors.filter(
    (errors) => errors.length > 0 && errors.every((e) => e.path.length > 0),
  );
  if (candidates.length !== 1) return undefined;
  return candidates[0]!.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

function tagOf(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
  return (value as Record<string, unknown>)[key];
}

function custom(path: (string | number)[], issue: z.core.$ZodIssueCustom): Problem {
  const hint: unknown = issue.params?.hint;
  return { path, message: issue.message, hint: typeof hint === "string" && hint ? hint : SEE_SCHEMA };
}
