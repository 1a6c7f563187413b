import { z } from "zod";
import { stackSchema } from "./schema";

/** Where editors and `$schema` references find the published schema. */
export const STACK_SCHEMA_ID = "https://slipway.dev/schemas/stack.json";

/**
 * The stack spec as JSON Schema (draft 2020-12), for editors and `slipway schema`. It describes
 * what an author may write (`io: "input"`: fields with defaults are optional). Cross-field rules
 * (a route must name a web service) cannot be expressed here; `validateStack` checks them.
 */
export function stackJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(stackSchema, {
    target: "draft-2020-12",
    io: "input",
    // zod marks `.startsWith()` with format "starts_with", which is not a JSON Schema format and
    // makes strict validators (ajv) refuse the schema; the accompanying `pattern` already says it.
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === "starts_with") delete jsonSchema.format;
    },
  });
  return {
    $schema: schema.$schema,
    $id: STACK_SCHEMA_ID,
    title: "Slipway stack",
    ...schema,
  };
}
