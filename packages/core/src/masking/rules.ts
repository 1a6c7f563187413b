/**
 * Masking rules: what happens to one column when a database is copied out of production.
 * - `email`, `name`, `phone`, `text`: replaced by a deterministic fake (see fakes.ts);
 * - `drop`: not copied, so the target column gets its default (NULL when it has none);
 * - `keep`: copied as is (ids, timestamps, prices: nothing personal).
 */
export const MASK_RULES = ["email", "name", "phone", "text", "drop", "keep"] as const;
export type MaskRule = (typeof MASK_RULES)[number];

/** The rules that replace a value with a fake. */
export type FakeRule = Extract<MaskRule, "email" | "name" | "phone" | "text">;

/**
 * Rules per table: a rule for every column, or `"safe"` for a table with nothing personal in
 * it (copied whole, including columns added later). Tables outside `public` are written
 * `schema.table`.
 */
export type MaskRules = Record<string, Record<string, MaskRule> | "safe">;
