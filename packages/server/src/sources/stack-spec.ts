import { randomBytes } from "node:crypto";
import { renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { SlipwayError } from "@slipway/core";
import type { Stack } from "@slipway/spec";
import type { Ctx } from "../context";
import { loadSpec } from "../spec";

/**
 * The spec a deploy is made from: the one uploaded with its tree (written out in
 * sources/<hash> beside the files it may import), else the stack directory's. Evaluated in the
 * spec loader's worker with its time limit; a spec that does not validate, or that names
 * another stack, is refused before anything changes.
 */
export async function specOfDeploy(ctx: Ctx, uploadedDir: string | undefined): Promise<Stack> {
  const stack = await loadSpec(uploadedDir ?? ctx.projectDir);
  if (stack.name !== ctx.stackId)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `name: the spec is for stack "${stack.name}", but this control plane runs stack "${ctx.stackId}"; nothing was changed`,
      "deploy it to that stack's own server (one `slipway server` per stack, each with its own --data-dir), or fix `name` in the spec",
      { field: "name" },
    );
  return stack;
}

/**
 * Makes the spec of an accepted deploy the stack's spec, on a server that has no stack
 * directory of its own (its projectDir is the `stack` link in the data directory): the link
 * is replaced in one rename, so a reader sees the old spec or the new one, never neither.
 * A control plane running from a stack directory (`slipway up`) keeps reading that one.
 */
export function adoptUploadedSpec(ctx: Ctx, uploadedHash: string): void {
  if (ctx.projectDir !== ctx.paths.stack) return;
  const tmp = `${ctx.paths.stack}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    // Relative: the data directory may be moved as a whole.
    symlinkSync(join("sources", uploadedHash), tmp);
    renameSync(tmp, ctx.paths.stack);
  } finally {
    rmSync(tmp, { force: true });
  }
}
