// Builds @slipway/runtime into one dependency-free ESM file: dist/index.js for publishing,
// and the copy examples/shop ships in lib/ (its builds install only registry packages, and
// this package is not published yet). `node packages/runtime/scripts/build.mjs --check`
// fails when the shop's copy is stale; a test runs it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const shopCopy = join(pkg, "..", "..", "examples", "shop", "lib", "slipway-runtime.mjs");

export function bundle() {
  const out = buildSync({
    entryPoints: [join(pkg, "src", "index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
  });
  return out.outputFiles[0].text;
}

const header =
  "// Generated from packages/runtime (@slipway/runtime) by packages/runtime/scripts/build.mjs: do not edit.\n";
const code = bundle();
if (process.argv.includes("--check")) {
  if (readFileSync(shopCopy, "utf8") !== header + code) {
    console.error(`${shopCopy} is stale: run node packages/runtime/scripts/build.mjs`);
    process.exit(1);
  }
} else {
  mkdirSync(join(pkg, "dist"), { recursive: true });
  writeFileSync(join(pkg, "dist", "index.js"), code);
  writeFileSync(shopCopy, header + code);
}
