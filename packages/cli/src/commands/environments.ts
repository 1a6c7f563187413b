import { api, target } from "../client";
import { printJson, table } from "../output";

interface Manifest {
  version: string | null;
  environment: string;
  build: string | null;
  services: Record<string, { type: string; url?: string; commit: string | null; status: string }>;
  infrastructure: { target: string; versions: Record<string, string>; last_applied: string | null };
}

/** `slipway manifest [--env E]`: version, services with url and commit, infrastructure. */
export async function manifest(o: { dir: string; env: string; json: boolean }) {
  const m = await api<Manifest>(
    target(o.dir),
    "GET",
    `/v1/environments/${encodeURIComponent(o.env)}/manifest`,
  );
  if (o.json) return printJson(m);
  if (!m.version) return void process.stdout.write(`${o.env}: nothing is live yet\n`);
  const rows = Object.entries(m.services).map(([name, s]) => ({
    service: name,
    type: s.type,
    status: s.status,
    commit: s.commit?.slice(0, 12) ?? null,
    url: s.url ?? null,
  }));
  const versions = Object.entries(m.infrastructure.versions).map(([k, v]) => `${k} ${v}`);
  process.stdout.write(
    `${m.environment} ${m.version}  build ${m.build?.slice(0, 12)}  last applied ${m.infrastructure.last_applied}\n` +
      `${table(rows)}\ninfrastructure (${m.infrastructure.target}): ${versions.join(", ")}\n`,
  );
}

interface Diff {
  a: string;
  b: string;
  build?: [string | null, string | null];
  config: { service: string; onlyIn: Record<string, string[]>; changed: string[] }[];
  scale: { service: string; a: string; b: string }[];
  strategy?: [unknown, unknown];
  services: { service: string; onlyIn: string }[];
  secrets: string;
}

/** `slipway diff <a> <b>`: build, config keys (never values), scale and strategy that differ. */
export async function diff(o: { dir: string; a: string; b: string; json: boolean }) {
  const d = await api<Diff>(
    target(o.dir),
    "GET",
    `/v1/environments/${encodeURIComponent(o.a)}/diff/${encodeURIComponent(o.b)}`,
  );
  if (o.json) return printJson(d);
  const short = (b: string | null) => b?.slice(0, 12) ?? "(nothing live)";
  const lines = [
    d.build ? `build: ${o.a} ${short(d.build[0])}, ${o.b} ${short(d.build[1])}` : "build: the same",
    ...d.services.map((s) => `service ${s.service}: only in ${s.onlyIn}`),
    ...d.config.map(
      (c) =>
        `config of ${c.service}: ${[
          ...Object.entries(c.onlyIn).map(([env, keys]) => `only in ${env}: ${keys.join(", ")}`),
          ...(c.changed.length ? [`different values: ${c.changed.join(", ")}`] : []),
        ].join("; ")}`,
    ),
    ...d.scale.map((s) => `scale of ${s.service}: ${o.a} ${s.a}, ${o.b} ${s.b}`),
    ...(d.strategy
      ? [`strategy: ${o.a} ${JSON.stringify(d.strategy[0])}, ${o.b} ${JSON.stringify(d.strategy[1])}`]
      : []),
    `secrets: ${d.secrets}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
