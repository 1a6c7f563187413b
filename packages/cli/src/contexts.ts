import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";

/** A control plane this CLI can talk to: where, with which token, pinned to which certificate. */
export interface Context {
  url: string;
  token: string;
  /** `sha256:…` of the server's certificate; without it, a CA the system trusts must vouch. */
  fingerprint?: string;
  /** Environments that run there: `--env NAME` alone picks this context (two servers, one CLI). */
  environments?: string[];
}

export interface ContextsFile {
  /** What commands use without --context; none means the project's own control plane. */
  current?: string;
  contexts: Record<string, Context>;
}

/** `$XDG_CONFIG_HOME/slipway/contexts.json`, by default `~/.config/slipway/contexts.json`. */
export function contextsPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "slipway", "contexts.json");
}

export function readContexts(file = contextsPath()): ContextsFile {
  if (!existsSync(file)) return { contexts: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<ContextsFile>;
    return { ...parsed, contexts: parsed.contexts ?? {} };
  } catch (e) {
    throw new SlipwayError(
      "SLW_STATE_CORRUPT",
      `${file} (the CLI's contexts) is damaged: ${(e as Error).message}`,
      `fix or delete it, then add the contexts again: slipway context add NAME URL --token …`,
    );
  }
}

/** Tokens inside: the directory 0700, the file 0600, replaced atomically. */
export function writeContexts(f: ContextsFile, file = contextsPath()): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileAtomic(file, `${JSON.stringify(f, null, 2)}\n`, 0o600);
}

/** The named context, or an error listing the ones there are. */
export function findContext(name: string, f = readContexts()): Context {
  const c = Object.hasOwn(f.contexts, name) ? f.contexts[name] : undefined;
  if (!c)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no context "${name}" in ${contextsPath()}`,
      Object.keys(f.contexts).length
        ? `use one of: ${Object.keys(f.contexts).join(", ")}; or add it: slipway context add ${name} https://HOST:PORT --token …`
        : `add it: slipway context add ${name} https://HOST:PORT --token … --fingerprint sha256:…`,
    );
  return c;
}

/**
 * The context whose server runs `env` (`context add … --env NAME`), if one says so. Two that
 * claim the same environment are a mistake to fix, not a coin to toss.
 */
export function contextForEnvironment(env: string, f: ContextsFile): string | undefined {
  const claiming = Object.entries(f.contexts)
    .filter(([, c]) => c.environments?.includes(env))
    .map(([name]) => name);
  if (claiming.length > 1)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `contexts ${claiming.join(" and ")} both say they run environment "${env}"`,
      `pick one with --context, or re-add the other without --env ${env}: slipway context add NAME URL --token … --env …`,
    );
  return claiming[0];
}
