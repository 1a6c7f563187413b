#!/usr/bin/env node
// The `slipway` command. Slipway ships as TypeScript source; `npm install` also prebuilds the
// client commands into dist/slipway.mjs (scripts/bundle.mjs), which starts several times
// faster than compiling the source with tsx. The bundle is used only while every file it was
// built from is unchanged (size and mtime, from dist/manifest.json), so an edited source in a
// checkout never runs stale code: it runs from source until the next `npm run build`.
import { readFileSync, statSync } from "node:fs";

const dist = new URL("../dist/", import.meta.url);

function bundleIsFresh() {
  if (process.env.SLIPWAY_FROM_SOURCE) return false;
  try {
    const { inputs } = JSON.parse(readFileSync(new URL("manifest.json", dist), "utf8"));
    for (const [file, was] of Object.entries(inputs)) {
      const now = statSync(new URL(file, dist));
      if (now.size !== was.size || now.mtimeMs !== was.mtimeMs) return false;
    }
    return true;
  } catch {
    return false; // not built (or damaged): the source is always right
  }
}

if (bundleIsFresh()) {
  await import(new URL("slipway.mjs", dist).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
