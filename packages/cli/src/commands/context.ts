import { normalizeFingerprint, SlipwayError } from "@slipway/core";
import { checkTarget } from "../client";
import { contextsPath, findContext, readContexts, writeContexts } from "../contexts";
import { printJson, table } from "../output";

/** `slipway context add NAME URL --token … [--fingerprint sha256:…]`: saved, never printed back. */
export function add(o: {
  name: string;
  url: string;
  token: string;
  fingerprint?: string;
  environments?: string[];
  json: boolean;
}) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(o.name) || o.name === "local")
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `a context name is letters, digits, '.', '_', '-' (and not "local", which means the project's own control plane); got ${JSON.stringify(o.name)}`,
      "name it after the server, e.g. prod or staging",
    );
  const fingerprint = o.fingerprint ? normalizeFingerprint(o.fingerprint) : undefined;
  if (o.environments?.includes("local"))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--env local would send the local environment's commands to ${o.url}`,
      "name the environments that run on that server, e.g. --env prod",
    );
  const context = {
    url: o.url.replace(/\/+$/, ""),
    token: o.token,
    ...(fingerprint ? { fingerprint } : {}),
    ...(o.environments?.length ? { environments: o.environments } : {}),
  };
  // Checked as every request's target is: https, or http to loopback only.
  checkTarget({ ...context, context: o.name });
  const f = readContexts();
  writeContexts({ ...f, contexts: { ...f.contexts, [o.name]: context } });
  if (o.json) return printJson({ name: o.name, url: context.url, fingerprint: fingerprint ?? null });
  process.stderr.write(
    `context ${o.name} → ${context.url}${fingerprint ? ` (pinned ${fingerprint})` : " (trusted by the system's CAs)"}, saved in ${contextsPath()}\n` +
      `use it with --context ${o.name}, or for every command: slipway context use ${o.name}\n`,
  );
}

/** `slipway context use NAME`; `local` goes back to the project's own control plane. */
export function use(o: { name: string; json: boolean }) {
  const f = readContexts();
  if (o.name !== "local") findContext(o.name, f);
  const { current: _previous, ...rest } = f;
  writeContexts(o.name === "local" ? rest : { ...rest, current: o.name });
  if (o.json) return printJson({ current: o.name });
  process.stderr.write(
    o.name === "local"
      ? "commands now talk to the project's own control plane (slipway up)\n"
      : `commands now talk to ${o.name} (${f.contexts[o.name]!.url})\n`,
  );
}

/** Names, URLs and pins; never a token. */
export function list(o: { json: boolean }) {
  const f = readContexts();
  const rows = Object.entries(f.contexts).map(([name, c]) => ({
    current: f.current === name ? "*" : "",
    name,
    url: c.url,
    fingerprint: c.fingerprint ?? "(system CAs)",
    environments: c.environments?.join(",") ?? "",
  }));
  if (o.json)
    return printJson({ current: f.current ?? null, contexts: rows.map(({ current: _, ...r }) => r) });
  process.stdout.write(`${table(rows)}\n`);
}

export function remove(o: { name: string; json: boolean }) {
  const f = readContexts();
  findContext(o.name, f);
  const { [o.name]: _removed, ...contexts } = f.contexts;
  const { current, ...rest } = f;
  writeContexts({ ...rest, ...(current && current !== o.name ? { current } : {}), contexts });
  if (o.json) return printJson({ removed: o.name });
  process.stderr.write(
    `context ${o.name} removed${current === o.name ? "; commands talk to the local control plane again" : ""}\n`,
  );
}
