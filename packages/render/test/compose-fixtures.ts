import { join, resolve } from "node:path";
import type { ReleaseConfig } from "@slipway/core";
import { loadStack, type Stack } from "@slipway/spec";
import { releaseConfigFor } from "../../server/src/release-config";
import { imageFor, type RenderInput } from "../src/index";

export const REPO = resolve(import.meta.dirname, "../../..");
export const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;
/** A fixed build hash, so goldens do not change with the working tree. */
export const BUILD = "3f2a9c1e0b7d4a5b6c7d8e9f00112233";

export async function loadShop(): Promise<Stack> {
  const loaded = await loadStack(join(REPO, "examples", "shop"));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.stack;
}

export function inputFor(
  stack: string,
  env: string,
  config: ReleaseConfig,
  release: number | null = 1,
): RenderInput {
  return { stack, env, release: { number: release, build: BUILD, config }, image: imageFor(stack, BUILD) };
}

export function shopInput(stack: Stack, env: string): RenderInput {
  return inputFor(stack.name, env, releaseConfigFor(stack, env));
}
