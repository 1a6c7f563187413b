import { resolve } from "node:path";
import { releaseConfigFor } from "@slipway/server";
import { loadStack, type Stack } from "@slipway/spec";
import { imageFor, type RenderInput } from "../src";

/** A fixed build and release, so golden files do not change with the working tree. */
export const BUILD = "3f2a9c1e0b7d4a5f8e6c2b1a0d9f8e7c";
export const RELEASE = 7;

export async function loadShop(): Promise<Stack> {
  const loaded = await loadStack(resolve(import.meta.dirname, "../../../examples/shop"));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.stack;
}

export function inputFor(stack: Stack, env: string): RenderInput {
  return {
    stack: stack.name,
    env,
    release: { number: RELEASE, build: BUILD, config: releaseConfigFor(stack, env) },
    image: imageFor(stack.name, BUILD, "registry.example.com/acme"),
  };
}
