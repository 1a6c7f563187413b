import { envName, templateProblem } from "@slipway/core";
import type { Addon, Stack } from "./schema";

/**
 * The variables each add-on injects into the services that `use` it, by name only (values are
 * known once it runs). The local driver's `connectionEnv` gives exactly these; a test keeps the
 * two in step. The first add-on in `uses` also provides the generic names.
 */
export function addonEnvNames(name: string, addon: Addon): string[] {
  const own = `${envName(name)}_URL`;
  switch (addon.type) {
    case "postgres":
      return ["DATABASE_URL", own, ...addon.databases.map((db) => `DATABASE_URL_${envName(db)}`)];
    case "redis":
      return ["REDIS_URL", own];
    case "bucket":
      return [
        "S3_ENDPOINT",
        "S3_BUCKET",
        "S3_REGION",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "S3_FORCE_PATH_STYLE",
        `${envName(name)}_BUCKET`,
      ];
  }
}

/**
 * The names a `$(…)` in this service's command or env may refer to: what Slipway injects into
 * it. PORT for web services, the add-ons' variables, NAME_URL per called service, SLIPWAY_*.
 */
export function injectedNames(stack: Stack, service: string): Set<string> {
  const svc = stack.services[service]!;
  const names = ["SLIPWAY_SERVICE", "SLIPWAY_ENV", "SLIPWAY_RELEASE", "SLIPWAY_BUILD"];
  if (svc.type === "web") names.push("PORT");
  if (svc.volume) names.push("SLIPWAY_VOLUME");
  for (const a of svc.uses)
    if (Object.hasOwn(stack.addons, a)) names.push(...addonEnvNames(a, stack.addons[a]!));
  for (const c of svc.calls) names.push(`${envName(c)}_URL`);
  return new Set(names);
}

export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
  params: { hint: string };
}

/** Every `$(…)` in commands and env values (environment overrides included) that would not expand. */
export function referenceIssues(stack: Stack): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const check = (service: string, path: (string | number)[], value: string) => {
    const known = injectedNames(stack, service);
    const message = templateProblem(value, known);
    if (message)
      issues.push({
        path,
        message,
        params: {
          hint: `refer to one of ${[...known].sort().join(", ")}; write $$( for a literal "$("`,
        },
      });
  };
  for (const [name, svc] of Object.entries(stack.services)) {
    svc.command.forEach((item, i) => {
      check(name, ["services", name, "command", i], item);
    });
    for (const [k, v] of Object.entries(svc.env)) check(name, ["services", name, "env", k], v);
  }
  for (const [envName_, env] of Object.entries(stack.environments))
    for (const [name, override] of Object.entries(env.services))
      if (Object.hasOwn(stack.services, name))
        for (const [k, v] of Object.entries(override.env ?? {}))
          check(name, ["environments", envName_, "services", name, "env", k], v);
  return issues;
}
