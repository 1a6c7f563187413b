import { SlipwayError } from "@slipway/core";
import { formatIssues, loadStack } from "@slipway/spec";

/**
 * The `server` the spec in `dir` gives environment `env`, if any. A spec that does not load
 * is an error: which server a command goes to must not be a guess.
 */
export async function serverOf(dir: string, env: string): Promise<string | undefined> {
  const loaded = await loadStack(dir);
  if (!loaded.ok)
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      formatIssues(loaded.issues),
      "fix the spec (it names the server each environment runs on), or pick the server with --context NAME",
      { issues: loaded.issues },
    );
  return Object.hasOwn(loaded.stack.environments, env) ? loaded.stack.environments[env]!.server : undefined;
}
