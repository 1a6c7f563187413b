import { existsSync } from "node:fs";
import { basename } from "node:path";
import { SlipwayError } from "@slipway/core";
import { formatIssues, loadStack, type Stack } from "@slipway/spec";

/** Loads and validates the project's spec; an invalid one is a user-fixable error naming every field. */
export async function loadSpec(dir: string): Promise<Stack> {
  // A server whose spec comes with deploys has none before the first one (see paths.stack).
  if (basename(dir) === "stack" && !existsSync(dir))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      "no spec has been deployed to this server yet",
      "deploy the stack first: slipway deploy --env ENV (it uploads the spec with the source)",
    );
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
