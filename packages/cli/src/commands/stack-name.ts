/** A stack name, as the spec allows it (NAME_PATTERN in spec/src/names.ts, not loaded here: the bundle leaves the spec package out). */
export const STACK_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
