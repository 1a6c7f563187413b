import type { ReleaseConfig } from "@slipway/core";

/**
 * What every target renders from: one environment of one stack, for one release (the live
 * one, or what the spec would make now) and its build. Pure data, so the same input always
 * renders the same bytes.
 */
export interface RenderInput {
  stack: string;
  env: string;
  release: {
    /** The release number; null when rendered straight from the spec (no release yet). */
    number: number | null;
    /** The build's content hash: the image tag. */
    build: string;
    config: ReleaseConfig;
  };
  /** The container image of the build, e.g. "shop:3f2a9c1e0b7d" (see `imageFor`). */
  image: string;
}

/** One output file, relative to the output directory. */
export interface RenderedFile {
  path: string;
  content: string;
}

/** The image a build becomes: the stack's name tagged with the build hash, under an optional registry. */
export function imageFor(stack: string, build: string, registry?: string): string {
  return `${registry ? `${registry.replace(/\/+$/, "")}/` : ""}${stack}:${build.slice(0, 12)}`;
}
