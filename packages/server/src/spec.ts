import { SlipwayError } from "@slipway/core";
import { formatIssues, loadStack, type Stack } from "@slipway/spec";

/** Loads and validates the project's spec; an invalid one is a user-fixable error naming every field. */
export async function loadSpec(dir: string): Promise<Stack> {
  const loaded = await loadStack(dir);
  if (!loaded.ok)
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      formatIssues(loaded.issues),
      "fix the spec; nothing was changed",
      {
        issues: loaded.issues,
      },
    );
  return loaded.stack;
}
