import { DEFAULT_POLICIES, type SecretRef } from "@slipway/core";
import { z } from "zod";

/**
 * The `secrets` section: which secrets exist, who receives them, how often they must change.
 * Values never appear here; they are set (or generated) through `slipway secrets`.
 */
export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Names Slipway sets itself or publishes during a rotation; a secret cannot take them. */
const RESERVED = /^(SLIPWAY_.*|PORT|PATH|LANG|.*_PREVIOUS)$/;

export const secretSchema = z.strictObject({
  kind: z
    .enum(["jwt", "database", "vendor", "other"])
    .default("other")
    .describe(
      "What the secret is; gives the default rotation policy (jwt: 90 days, database: 180 days; others: none).",
    ),
  services: z
    .array(z.string())
    .min(1)
    .optional()
    .describe("The services that receive it (as NAME) at process start; required unless `addon` is given."),
  addon: z
    .string()
    .optional()
    .describe(
      "A postgres add-on whose services' login password this is: `slipway secrets rotate NAME` changes the password in the database and restarts the services that use the add-on onto it, with the old password valid until they moved (no restart of NAME as an env var). Rotation defaults to the database policy; the value is generated.",
    ),
  environments: z
    .array(z.string())
    .min(1)
    .optional()
    .describe("The environments it exists in; default: every environment. Values are per environment."),
  rotation: z
    .strictObject({
      maxAgeDays: z.number().positive().describe("Overdue this many days after its current value was set."),
      overlapHours: z
        .number()
        .min(0)
        .default(24)
        .describe("After a rotation, services also receive the old value as NAME_PREVIOUS for this long."),
    })
    .optional()
    .describe("How often it must be rotated; default from `kind`."),
  restart: z
    .boolean()
    .default(true)
    .describe(
      "false: a rotation restarts nothing; services read the secret through the runtime SDK's secrets().secret(NAME), which receives each new value (and the previous one during the overlap) while running. NAME still holds the value published when the process started.",
    ),
  generate: z
    .strictObject({
      bytes: z.number().int().min(16).max(1024).default(32).describe("Random bytes in a generated value."),
      format: z.enum(["base64url", "hex"]).default("base64url").describe("How the bytes are written."),
    })
    .optional()
    .describe("Slipway may generate the value: on the first deploy when none was set, and on `rotate`."),
});

export const secretsSchema = z
  .record(
    z.string().regex(SECRET_NAME_PATTERN, 'a secret name is an env var name in capitals, e.g. "JWT_SECRET"'),
    secretSchema,
  )
  .default({})
  .describe(
    "Secrets the services receive, keyed by their env var name. Values are set with `slipway secrets`.",
  );

export type SecretDeclaration = z.output<typeof secretSchema>;

interface Issue {
  path: (string | number)[];
  message: string;
  params: { hint: string };
}

/** Cross-field checks: the services and environments named exist, and no name is reserved. */
export function secretIssues(
  stack: {
    services: Record<string, unknown>;
    environments: Record<string, unknown>;
    addons: Record<string, { type: string }>;
    secrets: Record<string, SecretDeclaration>;
  } /** Secrets a backup repository reads (its credentials): they need no service. */,
  forBackups: ReadonlySet<string> = new Set(),
): Issue[] {
  const issues: Issue[] = [];
  const loginOf = new Map<string, string>();
  for (const [name, s] of Object.entries(stack.secrets)) {
    if (s.addon !== undefined) {
      const addon = Object.hasOwn(stack.addons, s.addon) ? stack.addons[s.addon] : undefined;
      const postgres = Object.entries(stack.addons).filter(([, a]) => a.type === "postgres");
      if (addon?.type !== "postgres")
        issues.push({
          path: ["secrets", name, "addon"],
          message: addon
            ? `${s.addon} is a ${addon.type} add-on; only a postgres add-on's password rotates`
            : `no add-on named ${JSON.stringify(s.addon)}`,
          params: {
            hint: postgres.length
              ? `use one of: ${postgres.map(([n]) => n).join(", ")}`
              : "declare a postgres add-on under addons",
          },
        });
      else if (loginOf.has(s.addon))
        issues.push({
          path: ["secrets", name, "addon"],
          message: `${loginOf.get(s.addon)} already holds ${s.addon}'s password`,
          params: { hint: "declare one secret per postgres add-on" },
        });
      loginOf.set(s.addon, name);
    } else if (!s.services && !forBackups.has(name))
      issues.push({
        path: ["secrets", name, "services"],
        message: "which services receive it is missing",
        params: { hint: `add services: ["api"] (or addon: "db" for a postgres add-on's password)` },
      });
    if (RESERVED.test(name))
      issues.push({
        path: ["secrets", name],
        message: `${name} is a name Slipway sets itself (SLIPWAY_*, PORT, PATH, LANG) or publishes during a rotation (*_PREVIOUS)`,
        params: { hint: "choose another name" },
      });
    s.services?.forEach((svc, i) => {
      if (!Object.hasOwn(stack.services, svc))
        issues.push({
          path: ["secrets", name, "services", i],
          message: `no service named ${JSON.stringify(svc)}`,
          params: { hint: `use one of: ${Object.keys(stack.services).join(", ")}` },
        });
    });
    s.environments?.forEach((env, i) => {
      if (!Object.hasOwn(stack.environments, env))
        issues.push({
          path: ["secrets", name, "environments", i],
          message: `no environment named ${JSON.stringify(env)}`,
          params: { hint: `use one of: ${Object.keys(stack.environments).join(", ")}` },
        });
    });
  }
  return issues;
}

const ADDON_PASSWORD = { bytes: 32, format: "base64url" } as const;

/** What a release freezes of the secrets declared for an environment (versions pinned at deploy). */
export function secretRefsFor(
  secrets: Record<string, SecretDeclaration>,
  env: string,
): Record<string, SecretRef> {
  const refs: Record<string, SecretRef> = {};
  for (const [name, s] of Object.entries(secrets)) {
    if (s.environments && !s.environments.includes(env)) continue;
    const kind = s.addon !== undefined ? "database" : s.kind;
    const policy = s.rotation ?? (kind === "jwt" || kind === "database" ? DEFAULT_POLICIES[kind] : undefined);
    // An add-on password is always Slipway's to make: nobody needs to know it.
    const generate = s.generate ?? (s.addon !== undefined ? ADDON_PASSWORD : undefined);
    refs[name] = {
      services: [...(s.services ?? [])],
      version: 0,
      overlapHours: policy?.overlapHours ?? 0,
      ...(policy ? { maxAgeDays: policy.maxAgeDays } : {}),
      ...(generate ? { generate: { ...generate } } : {}),
      ...(s.addon !== undefined ? { addon: s.addon } : {}),
      ...(s.restart === false ? { restart: false as const } : {}),
    };
  }
  return refs;
}
