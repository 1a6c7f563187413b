import { api, target } from "../client";
import { printJson, table } from "../output";

interface FlagView {
  state: { on: boolean; percent?: number; allow?: string[] };
  default: boolean;
  killSwitch: boolean;
  version: number;
  description?: string;
}

const flagsPath = (env: string) => `/v1/environments/${encodeURIComponent(env)}/flags`;

/** "on", "on 25%", "on 25% + alice,bob", "off". */
export function stateText(s: FlagView["state"]): string {
  if (!s.on) return "off";
  const pct = s.percent !== undefined && s.percent < 100 ? ` ${s.percent}%` : "";
  return `on${pct}${s.allow?.length ? ` + ${s.allow.join(",")}` : ""}`;
}

export async function list(o: { dir: string; env: string; json: boolean }): Promise<void> {
  const { flags } = await api<{ flags: Record<string, FlagView> }>(target(o.dir), "GET", flagsPath(o.env));
  if (o.json) return printJson(flags);
  const rows = Object.entries(flags).map(([name, f]) => ({
    flag: name,
    state: stateText(f.state),
    default: f.default ? "on" : "off",
    kind: f.killSwitch ? "kill switch" : "flag",
    version: f.version || "spec",
    description: f.description ?? "",
  }));
  process.stdout.write(
    rows.length
      ? `${table(rows)}\n`
      : `no flags in ${o.env}; declare them under flags in slipway.config.ts\n`,
  );
}

export async function set(o: {
  dir: string;
  env: string;
  name: string;
  value: "on" | "off";
  percent?: number;
  allow?: string[];
  json: boolean;
}): Promise<void> {
  const body = {
    on: o.value === "on",
    ...(o.percent !== undefined ? { percent: o.percent } : {}),
    ...(o.allow ? { allow: o.allow } : {}),
  };
  const { flags } = await api<{ flags: Record<string, FlagView> }>(
    target(o.dir),
    "PUT",
    `${flagsPath(o.env)}/${encodeURIComponent(o.name)}`,
    body,
  );
  const f = flags[o.name]!;
  if (o.json) return printJson({ name: o.name, ...f });
  process.stdout.write(
    `${o.name} in ${o.env}: ${stateText(f.state)} (version ${f.version}); running services follow\n`,
  );
}

export async function history(o: { dir: string; env: string; name: string; json: boolean }): Promise<void> {
  const { changes } = await api<{
    changes: { version: number; state: FlagView["state"]; at: string; actor: string }[];
  }>(target(o.dir), "GET", `${flagsPath(o.env)}/${encodeURIComponent(o.name)}/history`);
  if (o.json) return printJson(changes);
  process.stdout.write(
    changes.length
      ? `${table(
          changes.map((c) => ({
            version: c.version,
            state: stateText(c.state),
            at: c.at.slice(0, 19).replace("T", " "),
            by: c.actor,
          })),
        )}\n`
      : `${o.name} was never set in ${o.env}: it is at the spec's state\n`,
  );
}
