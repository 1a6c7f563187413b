export { bucket, evaluate, type FlagReason, type FlagState } from "./evaluate";
export { type FlagSource, type FlagsClient, type FlagsOptions, type FlagView, flags } from "./flags";
export { type JobsClient, type JobsOptions, jobs } from "./jobs";
export { type SecretsClient, type SecretsOptions, type SecretView, secrets } from "./secrets";
