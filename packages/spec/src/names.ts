import { z } from "zod";

/** Names end up in env var names, file paths, HAProxy identifiers and URLs: keep them boring. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
export const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_PATTERN,
      `${/^[aeiou]/.test(what) ? "an" : "a"} ${what} name is 1-32 lowercase letters, digits or '-', starting with a letter (e.g. "api")`,
    );
