import { api, target } from "../client";
import { printJson, table } from "../output";

interface Opts {
  dir: string;
  env: string;
  json: boolean;
}

interface Copy {
  copy: string;
  addon: string;
  target: string | null;
  restoredTo: string | null;
  instance: { port: number; dataDir: string };
  bytes: number;
  usedBy: number[];
  live: boolean;
  kept: string | null;
}

const copies = (env: string) => `/v1/environments/${encodeURIComponent(env)}/backups/copies`;
const time = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC") : "-");

/** `slipway backup copies`: the instances restores made, what they hold, and who uses them. */
export async function listCopies(o: Opts): Promise<void> {
  const got = await api<Copy[]>(target(o.dir), "GET", copies(o.env));
  if (o.json) return printJson(got);
  process.stdout.write(
    `${table(
      got.map((c) => ({
        copy: c.copy,
        addon: c.addon,
        "asked for": c.target === "latest" ? "latest" : time(c.target),
        "last commit (UTC)": time(c.restoredTo),
        instance: `127.0.0.1:${c.instance.port}`,
        size: `${(c.bytes / 1024 / 1024).toFixed(1)} MB`,
        "used by": c.usedBy.length
          ? c.usedBy.map((n) => `v${n}`).join(", ") + (c.live ? " (live)" : "")
          : "-",
        drop: c.kept ? `kept: ${c.kept}` : "may be dropped",
      })),
    )}\n`,
  );
}

/** `slipway backup drop COPY`: stops the copy and deletes its directory (refused while a kept release uses it). */
export async function dropCopy(o: Opts & { copy: string }): Promise<void> {
  const got = await api<{ copy: string; addon: string }>(
    target(o.dir),
    "DELETE",
    `${copies(o.env)}/${encodeURIComponent(o.copy)}`,
  );
  if (o.json) return printJson(got);
  process.stdout.write(`restored copy ${got.copy} of ${o.env}/${got.addon} stopped and deleted\n`);
}
