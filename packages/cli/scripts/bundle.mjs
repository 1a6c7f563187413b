// Prebuilds the `slipway` client into one file, so a command like `slipway status` starts
// without compiling TypeScript. Run by the root `prepare` script (so `npm install` and
// scripts/setup.sh build it) and by `npm run build`. Plain JS: it must run before any build.
//
// `up` and the spec commands stay TypeScript source loaded through tsx (see fromSource in
// src/main.ts): they need the control plane and the spec loader, which read files beside
// their sources at run time. Next to the bundle, manifest.json records the size and mtime
// of every file it was built from; bin/slipway.js uses the source instead when one differs.
import { statSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const dist = `${pkg}dist`;

// A file written while esbuild reads the sources may be in the bundle as it was before: such
// a file is recorded with mtime 0, so the bundle counts as stale until the next build.
const started = Date.now() - 50;
let result;
try {
  const { build } = await import("esbuild");
  result = await build({
    absWorkingDir: pkg,
    entryPoints: [`${pkg}src/main.ts`],
    outfile: `${dist}/slipway.mjs`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // commander is CommonJS: its require() of node builtins needs a real require in ESM output.
    banner: {
      js: 'import { createRequire as __slipwayRequire } from "node:module"; const require = __slipwayRequire(import.meta.url);',
    },
    define: { SLIPWAY_BUNDLED: "true" },
    // tsx compiles `up` and the spec commands on demand; it stays the installed package.
    external: ["tsx", "tsx/*"],
    metafile: true,
    logLevel: "warning",
  });
} catch (e) {
  // Never fail `npm install` for this: without a fresh bundle the CLI runs from source.
  console.warn(`slipway: could not prebuild the CLI, it will run from source (slower): ${e.message}`);
  process.exit(0);
}

const inputs = {};
for (const file of Object.keys(result.metafile.inputs)) {
  const abs = resolve(pkg, file);
  const s = statSync(abs);
  inputs[relative(dist, abs)] = { size: s.size, mtimeMs: s.mtimeMs >= started ? 0 : s.mtimeMs };
}
writeFileSync(`${dist}/manifest.json`, JSON.stringify({ inputs }));
