import { z } from "zod";

/**
 * Walks a zod schema alongside the input it rejected, so an issue at `services.api.helth` can say
 * which keys `services.api` allows and what a field is for (its `.describe()` text). Walking the
 * schema rather than keeping a table of keys means a new field can never be missing here.
 */
export interface FieldInfo {
  /** The field's schema with optional/default wrappers removed and its union member chosen. */
  schema: z.ZodType;
  /** The first `.describe()` text met on the way in, if any. */
  description: string | undefined;
}

/** The schema of the field at `path`, or undefined when the path leaves the schema. */
export function fieldAt(
  root: z.ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): FieldInfo | undefined {
  let value = input;
  let field = settle(root, value);
  for (const key of path) {
    const next = childSchema(field.schema, key);
    if (!next) return undefined;
    value = childValue(value, key);
    field = settle(next, value);
  }
  return field;
}

/** The keys an object field accepts; empty when the field is not an object. */
export function allowedKeys(field: FieldInfo | undefined): string[] {
  return field?.schema instanceof z.ZodObject ? Object.keys(field.schema.shape) : [];
}

/** Strips optional/default wrappers and picks the union member the value is meant for. */
function settle(schema: z.ZodType, value: unknown): FieldInfo {
  let current = schema;
  let description = current.description;
  for (;;) {
    const inner = innerType(current, value);
    if (!inner) return { schema: current, description };
    current = inner;
    description ??= current.description;
  }
}

function innerType(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodReadonly
  )
    return schema.unwrap() as z.ZodType;
  if (schema instanceof z.ZodPipe) return schema.in as z.ZodType;
  if (schema instanceof z.ZodDiscriminatedUnion) return chooseOption(schema, value);
  return undefined;
}

function childSchema(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  if (schema instanceof z.ZodObject)
    return typeof key === "string" && Object.hasOwn(schema.shape, key) ? schema.shape[key] : undefined;
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  if (schema instanceof z.ZodArray) return schema.element as z.ZodType;
  return undefined;
}

/** The union member whose discriminator literal matches the input, e.g. `type: "redis"`. */
function chooseOption(schema: z.ZodDiscriminatedUnion, value: unknown): z.ZodType | undefined {
  const discriminator = schema.def.discriminator;
  const tag = childValue(value, discriminator);
  return schema.options.find((option) => literalValues(objectShape(option)?.[discriminator]).includes(tag)) as
    | z.ZodType
    | undefined;
}

function objectShape(schema: unknown): Record<string, z.ZodType> | undefined {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : undefined;
}

function literalValues(schema: unknown): unknown[] {
  return schema instanceof z.ZodLiteral ? [...schema.values] : [];
}

function childValue(value: unknown, key: PropertyKey): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
  return (value as Record<PropertyKey, unknown>)[key];
}
