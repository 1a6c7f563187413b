import { SlipwayError } from "@slipway/core";
import { api, target } from "../client";
import { printJson, table } from "../output";

interface Opts {
  dir: string;
  env: string;
  json: boolean;
  addon?: string;
}

interface Drill {
  run: string;
  addon: string;
  at: string;
  state: string;
  rpoMs: number | null;
  rtoMs: number | null;
  overTarget: boolean | null;
}

interface Snapshot {
  id: string;
  takenAt: string;
  bytes: number;
}

interface RedisRestore {
  kind: "redis";
  addon: string;
  snapshot: string;
  snapshotTakenAt: string;
  instance: { host: string; port: number; dataDir: string };
  keys: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const base = (env: string) => `/v1/environments/${encodeURIComponent(env)}/backups`;
const time = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace("Z", " UTC") : "-");
const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(3)} s`);
/** Long work says what it is doing first (on stderr, so --json output stays clean). */
const progress = (o: Opts, line: string) => {
  if (!o.json) process.stderr.write(`${line}\n`);
};

/** `slipway backup list`: per postgres add-on, the window, retention, base backups and the last drill. */
export async function list(o: Opts): Promise<void> {
  const got = await api<{
    addons: {
      addon: string;
      streaming: boolean;
      window: { earliest: string; latest: string } | null;
      retentionDays: number;
      walSegments: number;
      backups: {
        id: string;
        startedAt: string;
        endedAt: string;
        bytes: number;
        verified: boolean;
        verifyError?: string;
      }[];
      lastDrill: Omit<Drill, "run" | "addon"> | null;
    }[];
    redis?: { addon: string; every: string; retentionDays: number; snapshots: Snapshot[] }[];
  }>(target(o.dir), "GET", base(o.env));
  if (o.json) return printJson(got);
  const out: string[] = [];
  for (const a of got.addons) {
    out.push(
      `${o.env}/${a.addon}: WAL ${a.streaming ? "streaming" : "NOT streaming"}, ${a.walSegments} segments archived, retention ${a.retentionDays} days`,
      a.window
        ? `recoverable window: ${time(a.window.earliest)} .. ${time(a.window.latest)}`
        : "recoverable window: none yet (no verified base backup)",
      table(
        a.backups.map((b) => ({
          backup: b.id,
          "ended (UTC)": time(b.endedAt),
          size: `${(b.bytes / 1024 / 1024).toFixed(1)} MB`,
          verified: b.verified ? "yes" : `NO: ${b.verifyError ?? "not verified"}`,
        })),
      ),
      `last drill: ${a.lastDrill ? drillLine(a.lastDrill) : "never"}`,
      "",
    );
  }
  for (const r of got.redis ?? [])
    out.push(
      `${o.env}/${r.addon}: redis, an RDB snapshot ${r.every}, retention ${r.retentionDays} days`,
      r.snapshots.length
        ? table(
            r.snapshots.map((s) => ({ snapshot: s.id, "taken (UTC)": time(s.takenAt), size: mb(s.bytes) })),
          )
        : "no snapshot yet",
      "",
    );
  process.stdout.write(out.length ? out.join("\n") : `${o.env} has no postgres add-on\n`);
}

/** `slipway backup create`: a base backup now, verified (a redis add-on: an RDB snapshot). */
export async function create(o: Opts): Promise<void> {
  progress(o, `backing up ${o.env}${o.addon ? `/${o.addon}` : ""}…`);
  const got = await api<
    | { addon: string; backup: { id: string; endedAt: number; bytes: number; verified: boolean } }
    | { addon: string; snapshot: { id: string; takenAt: number; bytes: number } }
  >(target(o.dir), "POST", base(o.env), o.addon ? { addon: o.addon } : {});
  if (o.json) return printJson(got);
  if ("snapshot" in got)
    return void process.stdout.write(
      `RDB snapshot ${got.snapshot.id} of ${o.env}/${got.addon} taken (${mb(got.snapshot.bytes)} stored, encrypted)\n`,
    );
  process.stdout.write(
    `base backup ${got.backup.id} of ${o.env}/${got.addon} taken and verified (${(got.backup.bytes / 1024 / 1024).toFixed(1)} MB stored)\n`,
  );
}

/** `slipway backup restore --to TIME | --latest`: a new instance; says what it holds. */
export async function restore(
  o: Opts & { to?: string; latest?: boolean; switch?: boolean; yes?: boolean },
): Promise<void> {
  if (!!o.to === !!o.latest)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      o.to ? "--to and --latest are both given" : "restore to what? neither --to nor --latest is given",
      "pass --to 2026-11-30T14:05:00Z (a time inside the window: slipway backup list) or --latest",
      { field: "to" },
    );
  progress(
    o,
    `restoring ${o.env}${o.addon ? `/${o.addon}` : ""} to ${o.to ?? "the latest state"} into a new instance…`,
  );
  const got = await api<
    | {
        run: string;
        addon: string;
        target: string;
        baseBackup: string;
        instance: { host: string; port: number; dataDir: string };
        restoredTo: { lastCommitAt: string | null; newestHeartbeatAt: string | null };
        rtoMs: number;
        switched?: { release: number; rollout: string };
      }
    | RedisRestore
  >(target(o.dir), "POST", `${base(o.env)}/restores`, {
    ...(o.addon ? { addon: o.addon } : {}),
    to: o.to ?? "latest",
    ...(o.switch ? { switch: true, confirm: !!o.yes } : {}),
  });
  if (o.json) return printJson(got);
  if ("kind" in got)
    return void process.stdout.write(
      [
        `restored ${o.env}/${got.addon} from RDB snapshot ${got.snapshot} taken ${time(got.snapshotTakenAt)}: ${got.keys} keys`,
        `  new instance: ${got.instance.host}:${got.instance.port} (same password as the live one), data in ${got.instance.dataDir}`,
        "  the live instance was not touched",
        "",
      ].join("\n"),
    );
  process.stdout.write(
    [
      `restored ${o.env}/${got.addon} to ${got.target === "latest" ? "the latest state" : time(got.target)} from base backup ${got.baseBackup} in ${seconds(got.rtoMs)}`,
      `  last commit in the copy:     ${time(got.restoredTo.lastCommitAt)}`,
      `  newest heartbeat in the copy: ${time(got.restoredTo.newestHeartbeatAt)}`,
      `  new instance: ${got.instance.host}:${got.instance.port} (same roles and passwords as the live one), data in ${got.instance.dataDir}`,
      got.switched
        ? `  switched: ${o.env}/${got.addon} now uses it; release v${got.switched.release} restarts the services onto it (rollout ${got.switched.rollout}); the replaced instance keeps its data`
        : "  the live instance was not touched",
      "",
    ].join("\n"),
  );
}

/** `slipway backup drill`: restore latest into a scratch copy, verify, RPO/RTO, remove it. Exits non-zero on failure. */
export async function drill(o: Opts): Promise<void> {
  progress(
    o,
    `drill: restoring the latest state of ${o.env}${o.addon ? `/${o.addon}` : ""} into a scratch copy…`,
  );
  const got = await api<Drill>(
    target(o.dir),
    "POST",
    `${base(o.env)}/drills`,
    o.addon ? { addon: o.addon } : {},
  );
  if (o.json) return printJson(got);
  process.stdout.write(`drill of ${o.env}/${got.addon}: ${drillLine(got)}\n`);
  if (got.overTarget) process.exitCode = 1;
}

function drillLine(d: Omit<Drill, "run" | "addon">): string {
  return `${d.state} at ${time(d.at)}: RPO ${seconds(d.rpoMs)}, RTO ${seconds(d.rtoMs)}${d.overTarget ? " — OVER TARGET (alert raised)" : ""}`;
}
