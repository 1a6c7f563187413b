import { existsSync, readdirSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { SlipwayError } from "@slipway/core";

/** Finds `name` on PATH or throws SLW_BINARY_MISSING with the apt line that installs it. */
export function requireBinary(name: string, aptPackage: string, pathEnv = process.env.PATH ?? ""): string {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw missing(name, aptPackage);
}

/**
 * Debian keeps PostgreSQL server binaries out of PATH, under /usr/lib/postgresql/<major>/bin.
 * Prefers the requested major, else the newest installed.
 */
export function requirePostgresBinDir(major?: number, root = "/usr/lib/postgresql"): string {
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, "bin", "postgres")))
        .map(Number)
        .filter((n) => Number.isFinite(n))
        .sort((a, b) => b - a)
    : [];
  const pick = major !== undefined && majors.includes(major) ? major : majors[0];
  if (pick === undefined) throw missing("postgres", "postgresql");
  return join(root, String(pick), "bin");
}

/** The newest PostgreSQL major installed (the control plane's own store runs on it); throws SLW_BINARY_MISSING. */
export function installedPostgresMajor(root?: string): number {
  return Number(basename(dirname(requirePostgresBinDir(undefined, root))));
}

function missing(name: string, aptPackage: string): SlipwayError {
  return new SlipwayError(
    "SLW_BINARY_MISSING",
    `${name} is not installed; the local driver needs it.`,
    `install it with: sudo apt-get install -y ${aptPackage}   (or run ./scripts/setup.sh)`,
    { binary: name, aptPackage },
  );
}
