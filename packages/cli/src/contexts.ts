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

/** Where a command goes: a named context, SLIPWAY_URL, or the project's own control plane. */
export type TargetChoice =
  | { kind: "context"; name: string }
  | { kind: "url"; url: string }
  | { kind: "local" };

/**
 * Which control plane a command talks to, first match wins:
 * 1. `--context NAME` (or SLIPWAY_CONTEXT): asked for by name;
 * 2. SLIPWAY_URL (CI);
 * 3. the spec's `environments.<env>.server` for the command's `--env`: the team's word, in the repository;
 * 4. the context whose `--env` list names that environment (`context add … --env`): this machine's word;
 * 5. the context chosen with `slipway context use`;
 * 6. the project's own control plane (`slipway up`).
 * A spec naming a context this CLI does not have is an error naming the field, not a fall-through:
 * a prod deploy must not land on whatever the current context is.
 */
export function chooseTarget(o: {
  context?: string | undefined;
  url?: string | undefined;
  env?: string | undefined;
  specServer?: string | undefined;
  contexts: ContextsFile;
}): TargetChoice {
  if (o.context) return { kind: "context", name: o.context };
  if (o.url) return { kind: "url", url: o.url };
  if (o.env && o.specServer) {
    if (!Object.hasOwn(o.contexts.contexts, o.specServer))
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `environments.${o.env}.server: the spec says ${o.env} runs on server "${o.specServer}", and this CLI has no context of that name (${contextsPath()})`,
        `add it: slipway context add ${o.specServer} https://HOST:PORT --token … --fingerprint sha256:…   (or pick another with --context NAME)`,
        { field: `environments.${o.env}.server` },
      );
    return { kind: "context", name: o.specServer };
  }
  const byEnv = o.env ? contextForEnvironment(o.env, o.contexts) : undefined;
  const name = byEnv ?? o.contexts.current;
  return name ? { kind: "context", name } : { kind: "local" };
}
