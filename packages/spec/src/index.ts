export { SPEC_EXTENSIONS } from "./evaluate";
export { formatIssue, formatIssues, formatPath, type SpecIssue, type SpecIssueCode } from "./issues";
export { STACK_SCHEMA_ID, stackJsonSchema } from "./json-schema";
export { loadStack } from "./load";
export { addonEnvNames, injectedNames } from "./references";
export { DEFAULT_HEALTH, DEFAULT_SCALE, JOB_SCALE, type ResolvedService, resolveServices } from "./resolve";
export * from "./schema";
export { starterFiles, starterSpec } from "./starter";
export { type LoadResult, validateStack } from "./validate";
