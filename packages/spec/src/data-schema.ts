import { MASK_RULES } from "@slipway/core";
import { z } from "zod";

/**
 * The spec's `data` section: how non-production environments get data. Kept apart from the
 * environments' promotion rules, which live in schema.ts.
 */

/** Postgres identifiers as written in rules: "users", or "audit.log" for a table outside `public`. */
const TABLE = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export const maskRuleSchema = z
  .enum(MASK_RULES, {
    error: () => `a masking rule is one of ${MASK_RULES.map((r) => JSON.stringify(r)).join(", ")}`,
  })
  .describe(
    "email, name, phone, text: replaced by a deterministic fake (the same value gives the same fake everywhere in one copy, distinct values give distinct fakes, so foreign keys and unique constraints hold); drop: not copied (the column gets its default, or NULL); keep: copied as is.",
  );

export const tableMaskSchema = z
  .union([
    z.literal("safe"),
    z.record(z.string().regex(COLUMN, 'a column name is like "email" or "full_name"'), maskRuleSchema),
  ])
  .describe(
    'A rule for every column of the table, or "safe" when nothing in it is personal (every column is copied, including ones added later).',
  );

export const dataSchema = z
  .strictObject({
    seed: z
      .array(z.string())
      .min(1, "seed is an argv array like ['node', 'seed.js'] (never a shell string)")
      .optional()
      .describe(
        "argv run once when an environment's database is new, with the release's environment (synthetic data for local and dev).",
      ),
    mask: z
      .record(
        z.string().regex(TABLE, 'a table name is like "users", or "audit.log" outside public'),
        tableMaskSchema,
      )
      .default({})
      .describe(
        "Masking rules for copying production data into another environment (`slipway data copy prod staging --mask`), keyed by table. A copy is refused before it starts when a table or a column has no rule, so a new column with personal data cannot leak by default.",
      ),
  })
  .describe("Data for non-production environments: a seed command and masking rules.");

export type DataSpec = z.output<typeof dataSchema>;
export type TableMask = z.output<typeof tableMaskSchema>;
