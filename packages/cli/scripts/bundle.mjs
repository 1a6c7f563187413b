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
import { build } from "esbuild";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const dist = `${pkg}dist`;

const result = await build({
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

const inputs = {};
for (const file of Object.keys(result.metafile.inputs)) {
  const abs = resolve(pkg, file);
  const s = statSync(abs);
  inputs[relative(dist, abs)] = { size: s.size, mtimeMs: s.mtimeMs };
}
writeFileSync(`${dist}/manifest.json`, JSON.stringify({ inputs }));
