import type { ReleaseConfig } from "./config";

export interface ConfigChange {
  /** Dotted path, e.g. "services.api.env.GREETING"; arrays (command, routes) are one value. */
  path: string;
  change: "added" | "removed" | "changed";
}

/**
 * What changed in the config between two releases, as paths only: values stay out of it, so
 * a diff can be shown and logged without thinking about what an env value holds.
 */
export function configChanges(from: ReleaseConfig, to: ReleaseConfig): ConfigChange[] {
  const a = leaves(from);
  const b = leaves(to);
  const out: ConfigChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!a.has(path)) out.push({ path, change: "added" });
    else if (!b.has(path)) out.push({ path, change: "removed" });
    else if (a.get(path) !== b.get(path)) out.push({ path, change: "changed" });
  }
  return out;
}

/** Every leaf of a JSON value by dotted path; an array is a leaf (its JSON). */
function leaves(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length && prefix) out.set(prefix, "{}");
    for (const [k, v] of entries) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix && value !== undefined) out.set(prefix, JSON.stringify(value));
  return out;
}
