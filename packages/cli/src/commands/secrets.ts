import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SlipwayError } from "@slipway/core";
import { api, type Target, target } from "../client";
import { parseDotenv } from "../dotenv";
import { followRollout } from "../follow";
import { printJson, table } from "../output";

interface Opts {
  dir: string;
  env: string;
  json: boolean;
}
interface Changed {
  name: string;
  version: number;
  rollout?: string;
}

const base = (env: string) => `/v1/environments/${encodeURIComponent(env)}/secrets`;

/** `slipway secrets list`: versions, age against policy, what is published; never values. */
export async function list(o: Opts): Promise<void> {
  const { secrets } = await api<{ secrets: Record<string, unknown>[] }>(target(o.dir), "GET", base(o.env));
  if (o.json) return printJson(secrets);
  const rows = secrets.map((s) => {
    const p = s.published as { version: number; previous?: number; withdrawAt?: string } | undefined;
    return {
      name: s.name,
      version: s.version === undefined ? "-" : `v${s.version}`,
      set: typeof s.createdAt === "string" ? s.createdAt.slice(0, 16).replace("T", " ") : "-",
      rotation:
        s.rotation === "overdue"
          ? `OVERDUE by ${s.overdueDays} d`
          : `${s.rotation}${s.dueAt ? ` (due ${String(s.dueAt).slice(0, 10)})` : ""}`,
      published: p
        ? `v${p.version}${p.previous ? ` + v${p.previous} as _PREVIOUS until ${p.withdrawAt}` : ""}`
        : "-",
    };
  });
  process.stdout.write(`${table(rows)}\n`);
}

/** `slipway secrets history NAME`: every version, who set it and when. */
export async function history(o: Opts & { name: string }): Promise<void> {
  const { versions } = await api<{
    versions: { version: number; createdAt: string; createdBy: string; keyId: string }[];
  }>(target(o.dir), "GET", `${base(o.env)}/${encodeURIComponent(o.name)}/versions`);
  if (o.json) return printJson(versions);
  process.stdout.write(
    `${table(versions.map((v) => ({ version: `v${v.version}`, set: v.createdAt, by: v.createdBy, key: v.keyId })))}\n`,
  );
}

/** `slipway secrets get NAME`: the value on stdout (admin only; audited). */
export async function get(o: Opts & { name: string; version?: number }): Promise<void> {
  const got = await api<{ name: string; version: number; value: string }>(
    target(o.dir),
    "POST",
    `${base(o.env)}/${encodeURIComponent(o.name)}/read`,
    o.version !== undefined ? { version: o.version } : {},
  );
  if (o.json) return printJson(got);
  process.stdout.write(got.value);
  if (process.stdout.isTTY) process.stdout.write("\n");
}

/** `slipway secrets set NAME`: the value from stdin or --from-file, never from argv (which `ps` shows). */
export async function set(o: Opts & { name: string; fromFile?: string }): Promise<void> {
  const value = o.fromFile !== undefined ? readValueFile(o.fromFile) : await readStdin();
  if (!value)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `no value for ${o.name}`,
      `pipe it on stdin (echo -n VALUE | slipway secrets set ${o.name}) or pass --from-file PATH`,
    );
  const t = target(o.dir);
  const changed = await api<Changed>(t, "PUT", `${base(o.env)}/${encodeURIComponent(o.name)}`, { value });
  await report(t, o, [changed], "set");
}

/** `slipway secrets rotate NAME`: a generated value, or the one on stdin; dual-published. */
export async function rotate(o: Opts & { name: string; fromFile?: string }): Promise<void> {
  const value = o.fromFile !== undefined ? readValueFile(o.fromFile) : await readStdin();
  const t = target(o.dir);
  const changed = await api<Changed>(
    t,
    "POST",
    `${base(o.env)}/${encodeURIComponent(o.name)}/rotations`,
    value ? { value } : {},
  );
  await report(t, o, [changed], "rotated");
}

/**
 * `slipway secrets import`: the declared secrets found in `.env.local` (else `.env`) of the
 * project, or in `--from FILE`; with `--file PATH --name NAME`, one secret from a whole file
 * (a certificate or key).
 */
export async function importSecrets(
  o: Opts & { from?: string; file?: string; name?: string },
): Promise<void> {
  let values: Record<string, string>;
  if (o.file !== undefined) {
    if (!o.name)
      throw new SlipwayError(
        "SLW_BAD_REQUEST",
        "--file needs --name",
        "say which secret it is: --name TLS_KEY",
      );
    values = { [o.name]: readValueFile(o.file) };
  } else {
    const file = o.from ?? [".env.local", ".env"].map((f) => join(o.dir, f)).find((f) => existsSync(f));
    if (!file)
      throw new SlipwayError(
        "SLW_NOT_FOUND",
        `no .env.local or .env in ${o.dir}`,
        "pass the file: slipway secrets import --from PATH",
      );
    values = parseDotenv(readValueFile(file), file);
  }
  const empty = Object.keys(values).filter((k) => values[k] === "");
  for (const k of empty) delete values[k];
  const t = target(o.dir);
  const { imported, skipped } = await api<{ imported: Changed[]; skipped: string[] }>(
    t,
    "POST",
    `${base(o.env)}/import`,
    { values },
  );
  const notImported = [...skipped, ...empty];
  if (o.json) return printJson({ imported, skipped: notImported });
  if (notImported.length)
    process.stderr.write(`skipped (not declared in the spec, or empty): ${notImported.join(", ")}\n`);
  await report(t, o, imported, "imported");
}

async function report(t: Target, o: Opts, changed: Changed[], verb: string) {
  const rollout = changed.find((c) => c.rollout)?.rollout;
  if (rollout) await followRollout(t, rollout, { quiet: o.json });
  if (o.json) return printJson(changed);
  for (const c of changed) process.stdout.write(`${c.name} v${c.version} ${verb} in ${o.env}\n`);
  if (rollout)
    process.stdout.write(
      `services using ${changed.map((c) => c.name).join(", ")} restarted onto the new value\n`,
    );
}

function readValueFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new SlipwayError("SLW_NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

/** The value piped on stdin; nothing when stdin is a terminal (a value is never typed into argv). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
