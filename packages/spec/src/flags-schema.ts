import { z } from "zod";
import type { ReferenceIssue } from "./references";

/** Flag names travel in URLs, env-free JSON and CLI arguments: the same boring names as services. */
const FLAG_NAME = /^[a-z][a-z0-9-]{0,62}[a-z0-9]$|^[a-z]$/;

/** A flag's state in one environment, as the control plane stores it (see core's FlagState). */
export const flagStateSchema = z.strictObject({
  on: z.boolean().describe("Off turns the flag off for everyone, allow-listed keys included."),
  percent: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe("Once on, the share of keys (users) that get it, sticky per key; absent: everyone."),
  allow: z.array(z.string().min(1)).optional().describe("Keys that get the flag whenever it is on."),
});

export const flagSchema = z
  .strictObject({
    default: z
      .boolean()
      .optional()
      .describe(
        "The value services use until the flag is set, and when the control plane is unreachable and they know nothing newer. @default false",
      ),
    description: z
      .string()
      .max(500)
      .optional()
      .describe("What turning the flag on does, for `slipway flags list`."),
    killSwitch: z
      .boolean()
      .default(false)
      .describe(
        "The flag turns a risky part off in an emergency; its `default` must be given and is the safe value.",
      ),
    environments: z
      .record(z.string(), flagStateSchema)
      .default({})
      .describe(
        "The state a flag starts in per environment, until someone sets it (e.g. prod: { on: false }).",
      ),
  })
  .superRefine((flag, ctx) => {
    if (flag.killSwitch && flag.default === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["default"],
        message:
          "a kill switch needs an explicit default: the safe value services use when they know nothing",
        params: { hint: "add default: false (or true) to say which value is safe" },
      });
  });

export const flagsSchema = z
  .record(
    z.string().regex(FLAG_NAME, 'a flag name is 1-64 lowercase letters, digits or "-" (e.g. "new-checkout")'),
    flagSchema,
  )
  .default({})
  .describe("Feature flags and kill switches, keyed by name; set them with `slipway flags set`.");

export type FlagSpec = z.output<typeof flagSchema>;

/** Per-environment initial states that name an environment the stack does not have. */
export function flagIssues(flags: Record<string, FlagSpec>, environments: string[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const [name, flag] of Object.entries(flags))
    for (const env of Object.keys(flag.environments))
      if (!environments.includes(env))
        issues.push({
          path: ["flags", name, "environments", env],
          message: `no environment named ${JSON.stringify(env)}`,
          params: { hint: `use one of: ${environments.join(", ")}` },
        });
  return issues;
}
