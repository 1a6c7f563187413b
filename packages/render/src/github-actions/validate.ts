import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import schema from "./schema/github-workflow.json" with { type: "json" };

let compiled: ValidateFunction | undefined;

/**
 * Checks a workflow file against GitHub's workflow JSON Schema (SchemaStore's, vendored in
 * `schema/`), offline. Returns one line per problem, `at /jobs/build/steps/0: …`; empty when valid.
 */
export function validateWorkflow(yamlText: string): string[] {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (e) {
    return [`not YAML: ${(e as Error).message}`];
  }
  compiled ??= new Ajv({ strict: false, allErrors: true }).compile(schema);
  if (compiled(doc)) return [];
  return (compiled.errors ?? []).map(describe);
}

function describe(e: ErrorObject): string {
  const extra = e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
  return `at ${e.instancePath || "/"}: ${e.message ?? e.keyword}${extra}`;
}
