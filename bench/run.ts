// `npm run bench -- NAME [--quick]`: runs bench/NAME.ts, whose default export prints a
// side-by-side table and returns the RESULT fields; this prints the single RESULT line.
import { readdirSync } from "node:fs";

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(new URL(".", import.meta.url))
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3));

if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]   where NAME is one of: ${available.join(", ")}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as {
  default: (o: { quick: boolean }) => Promise<Record<string, string | number>>;
};
const result = await mod.default({ quick: rest.includes("--quick") });
console.log(
  `RESULT ${Object.entries(result)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}`,
);
process.exit(0);
