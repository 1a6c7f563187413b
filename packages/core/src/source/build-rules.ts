/**
 * Which files of a stack's directory a build takes: the same rules for the local build
 * (driver-local lists the working tree with them) and an uploaded tree (the server refuses a
 * manifest that names a file a build would have left out, so an upload builds what a local
 * deploy of the same directory builds).
 */

/** Directories never part of a build: dependencies, Slipway's own state, git's. */
export const SKIPPED_NAMES: ReadonlySet<string> = new Set(["node_modules", ".slipway", ".git"]);

/** The spec is configuration, not code: changing an env var makes a new release, not a new build. */
export const SPEC_FILE = /^slipway\.config\.(ts|mts|js|mjs|json)$/;

/** The spec's names, in the order the loader looks for them: the first one found is the spec. */
export const SPEC_FILE_NAMES: readonly string[] = ["ts", "mts", "js", "mjs", "json"].map(
  (ext) => `slipway.config.${ext}`,
);

/**
 * Development secrets (`.env`, `.env.local`, `.env.production.local`…) never go into a build:
 * services get secrets from the secret store at start. Templates (`.env.example`) do.
 */
export const ENV_FILE = /^\.env(\.(?!example$|sample$)[\w.-]+)?$/;

/** Whether a build leaves out the entry `name` found in `dir` ("" is the stack's top directory). */
export function leftOutOfBuild(dir: string, name: string): boolean {
  return SKIPPED_NAMES.has(name) || ENV_FILE.test(name) || (dir === "" && SPEC_FILE.test(name));
}
