import type { ErrorCode } from "@slipway/core";

/** The error codes a spec problem can carry; the edges map them to HTTP status and exit code. */
export type SpecIssueCode = Extract<
  ErrorCode,
  "SLW_SPEC_INVALID" | "SLW_SPEC_NOT_FOUND" | "SLW_SPEC_LOAD_FAILED"
>;

/**
 * One problem with a stack spec, in terms the author can act on.
 * @example
 * { code: "SLW_SPEC_INVALID", file: "slipway.config.ts", path: ["services", "api", "scale", "min"],
 *   message: "expected a number >= 0, got -1", expected: "a number >= 0", received: "-1",
 *   hint: "set it to 0 or more" }
 */
export interface SpecIssue {
  code: SpecIssueCode;
  /** The spec file as the user would type it (relative to the working directory when inside it). */
  file: string;
  /** Field path from the root of the spec; empty for problems with the whole file. */
  path: (string | number)[];
  /** What is wrong, naming what was expected and what was found. */
  message: string;
  expected?: string;
  /** The value found, already quoted safely (JSON) for display. */
  received?: string;
  /** What to do next. Never empty. */
  hint: string;
}

/** One line per issue: `file: path: message. Fix: hint`. */
export function formatIssues(issues: readonly SpecIssue[]): string {
  return issues.map(formatIssue).join("\n");
}

export function formatIssue(issue: SpecIssue): string {
  const where = issue.path.length > 0 ? `${issue.file}: ${formatPath(issue.path)}` : issue.file;
  return `${where}: ${sentence(issue.message)} Fix: ${sentence(issue.hint)}`;
}

/**
 * `services.api.scale.min`, `routes[0].service`, `services["my api"]`: keys that are not plain
 * words are JSON-quoted, so a hostile key (`$(rm -rf /)`, a newline) prints as inert text.
 */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((key, i) => {
      if (typeof key === "number") return `[${key}]`;
      if (/^[A-Za-z_][\w-]*$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join("");
}

/** Shows a value the user wrote without letting it break the line or the terminal. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  return "an object";
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.?!]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
