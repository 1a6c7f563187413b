import { existsSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { SlipwayError } from "@slipway/core";
import { formatIssues, loadStack, stackJsonSchema, starterSpec } from "@slipway/spec";
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

export function init(dir: string): void {
  const file = join(resolve(dir), "slipway.config.ts");
  if (existsSync(file))
    throw new SlipwayError("SLW_CONFLICT", `${file} already exists`, "edit it, or remove it to start over");
  const name =
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^[^a-z]+/, "") || "app";
  writeFileSync(file, starterSpec(name.slice(0, 32)));
  process.stdout.write(`wrote ${file}\nnext: edit it, then run \`slipway validate\` and \`slipway up\`\n`);
}
