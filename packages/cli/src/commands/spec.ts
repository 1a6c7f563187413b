import { existsSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { SlipwayError } from "@slipway/core";
import { formatIssues, loadStack, stackJsonSchema, starterFiles } from "@slipway/spec";
import { printJson } from "../output";

export async function validate(dir: string, json: boolean): Promise<void> {
  const loaded = await loadStack(resolve(dir));
  if (!loaded.ok) {
    if (json) printJson({ ok: false, file: loaded.file, issues: loaded.issues });
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      `\n${formatIssues(loaded.issues)}`,
      "fix the fields named above",
      {
        issues: loaded.issues,
      },
    );
  }
  const s = loaded.stack;
  if (json) return printJson({ ok: true, file: loaded.file, stack: s });
  process.stdout.write(
    `${loaded.file} is valid: stack "${s.name}", ${Object.keys(s.services).length} services, ` +
      `${Object.keys(s.addons).length} add-ons, ${s.routes.length} routes, environments ${Object.keys(s.environments).join(", ")}\n`,
  );
}

export function schema(): void {
  printJson(stackJsonSchema());
}

/** Writes the starter stack (spec and a tiny app); files that already exist are kept. */
export function init(dir: string): void {
  const root = resolve(dir);
  const file = join(root, "slipway.config.ts");
  if (existsSync(file))
    throw new SlipwayError("SLW_CONFLICT", `${file} already exists`, "edit it, or remove it to start over");
  const name =
    basename(root)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^[^a-z]+/, "") || "app";
  const lines: string[] = [];
  for (const [name_, text] of Object.entries(starterFiles(name.slice(0, 32)))) {
    const path = join(root, name_);
    if (existsSync(path)) {
      lines.push(`kept ${path} (it exists; the starter's version was not written)`);
      continue;
    }
    writeFileSync(path, text);
    lines.push(`wrote ${path}`);
  }
  process.stdout.write(`${lines.join("\n")}\nnext: slipway up (then edit, and slipway deploy)\n`);
}
