import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import type { RenderedFile } from "../input";

let validator: ValidateFunction | undefined;

/**
 * The Compose Specification's JSON Schema (vendored, packages/render/schema/compose), compiled
 * on first use. It is draft-07, ajv's default; its `$schema` names draft-07 by an https address
 * ajv does not know, so it is left out.
 */
function composeSchema(): ValidateFunction {
  if (!validator) {
    const path = new URL("../../schema/compose/compose-spec.json", import.meta.url);
    const { $schema: _, ...schema } = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

/** The rendered compose.yaml as data (what `slipway render compose --json` prints). */
export function composeDocument(files: RenderedFile[]): unknown {
  const file = files.find((f) => f.path === "compose.yaml");
  return file ? parse(file.content) : undefined;
}

/** What the schema says is wrong with the rendered compose.yaml; empty when it is valid. */
export function validateCompose(files: RenderedFile[]): string[] {
  const compose = composeDocument(files);
  if (compose === undefined) return ["no compose.yaml was rendered"];
  const validate = composeSchema();
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((e) => `compose.yaml ${e.instancePath || "/"}: ${e.message}`);
}
