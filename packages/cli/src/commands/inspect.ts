import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "@slipway/driver-local/proc";
import { api, request, stream, type Target, target } from "../client";
import { printJson, type RouteView, routesTable, table } from "../output";

interface Status {
  stack: string;
  environments: {
    name: string;
    desired: string;
    url: string | null;
    live: { release: number; build: string } | null;
    rollout: { id: string; kind: string; phase: string } | null;
    routes: RouteView[];
    processes: {
      id: string;
      service: string;
      release: number;
      pid: number;
      port: number | null;
      state: string;
      restarts: number;
    }[];
    addons: { name: string; kind: string; port: number; pid: number | null }[];
    cron: {
      service: string;
      schedule: string;
      lastRun: {
        startedAt: string | null;
        state: string;
        exitCode: number | null;
        durationMs: number | null;
      } | null;
      nextRun: string | null;
    }[];
    volumes: { service: string; path: string }[];
    /** Absent from control planes before secrets. */
    secretsOverdue?: { name: string; version: number; overdueDays: number }[];
    backups?: Protection[];
    traffic: {
      service: string;
      revision: string;
      status: string;
      weight: number;
      requests: number;
      responses: Record<string, number>;
      latencyMs: { p50: number; p99: number } | null;
    }[];
    internalUrls: Record<string, string>;
  }[];
}

export async function status(o: { dir: string; json: boolean }): Promise<void> {
  const s = await api<Status>(target(o.dir), "GET", "/v1/status");
  if (o.json) return printJson(s);
  const out: string[] = [`stack ${s.stack}`];
  for (const e of s.environments) {
    out.push(
      "",
      `environment ${e.name} (${e.desired})  ${e.url ?? ""}  live: ${e.live ? `v${e.live.release}` : "nothing yet"}` +
        (e.rollout ? `  rollout ${e.rollout.kind}: ${e.rollout.phase}` : ""),
      routesTable(e.routes),
      "",
      table(
        e.processes.map((p) => ({
          process: p.id,
          release: `v${p.release}`,
          pid: p.pid,
          port: p.port,
          state: p.state,
          restarts: p.restarts,
        })),
      ),
      "",
      table(
        e.addons.map((a) => ({ addon: a.name, kind: a.kind, address: `127.0.0.1:${a.port}`, pid: a.pid })),
      ),
      "",
      table(
        e.traffic.map((t) => ({
          service: t.service,
          revision: t.revision,
          edge: t.status,
          weight: t.weight,
          requests: t.requests,
          "2xx": t.responses["2xx"],
          "5xx": t.responses["5xx"],
          "p50 ms": t.latencyMs?.p50,
          "p99 ms": t.latencyMs?.p99,
        })),
      ),
    );
    out.push(...cronAndVolumes(e));
    out.push(...protectionLines(e.backups ?? []));
    for (const o of e.secretsOverdue ?? [])
      out.push(
        `secret ${o.name} (v${o.version}) is overdue for rotation by ${o.overdueDays} d: slipway secrets rotate ${o.name} --env ${e.name}`,
      );
    const internal = Object.entries(e.internalUrls);
    if (internal.length)
      out.push("", table(internal.map(([service, url]) => ({ service, "internal url (for calls)": url }))));
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

/** Cron services (last run, next run) and persistent volumes, when the environment has any. */
function cronAndVolumes(e: Status["environments"][number]): string[] {
  const out: string[] = [];
  const time = (iso: string | null | undefined) => (iso ? iso.slice(0, 19).replace("T", " ") : undefined);
  if (e.cron.length)
    out.push(
      "",
      table(
        e.cron.map((c) => ({
          cron: c.service,
          schedule: `${c.schedule} (UTC)`,
          "last run": time(c.lastRun?.startedAt) ?? "never",
          outcome: c.lastRun
            ? c.lastRun.state === "running" || c.lastRun.state === "starting"
              ? "running"
              : `${c.lastRun.state}${c.lastRun.exitCode !== null ? ` (exit ${c.lastRun.exitCode})` : ""}`
            : undefined,
          took: c.lastRun?.durationMs != null ? `${(c.lastRun.durationMs / 1000).toFixed(1)} s` : undefined,
          "next run": time(c.nextRun),
        })),
      ),
    );
  if (e.volumes.length) out.push("", table(e.volumes.map((v) => ({ volume: v.service, path: v.path }))));
  return out;
}

export async function releases(o: { dir: string; env: string; json: boolean }): Promise<void> {
  const { releases } = await api<{
    releases: {
      number: number;
      buildId: string;
      configHash: string;
      jobStatus: string;
      description: string;
      createdAt: string;
      via: string;
    }[];
  }>(target(o.dir), "GET", `/v1/environments/${encodeURIComponent(o.env)}/releases`);
  if (o.json) return printJson(releases);
  process.stdout.write(
    `${table(
      releases.map((r) => ({
        release: `v${r.number}`,
        build: r.buildId.slice(0, 12),
        config: r.configHash,
        job: r.jobStatus,
        via: r.via,
        created: r.createdAt.slice(0, 19).replace("T", " "),
        description: r.description,
      })),
    )}\n`,
  );
}

interface EventPage {
  events: { seq: number; at: string; actor: string; kind: string; subject: string; message: string }[];
  nextBefore?: number;
}

/** The newest events first; `--before` pages back, `--after` keeps only newer ones. */
export async function events(o: {
  dir: string;
  json: boolean;
  limit: number;
  before?: number;
  after?: number;
  subject?: string;
}): Promise<void> {
  const q = new URLSearchParams({ limit: String(o.limit) });
  if (o.before !== undefined) q.set("before", String(o.before));
  if (o.after !== undefined) q.set("after", String(o.after));
  if (o.subject !== undefined) q.set("subject", o.subject);
  const page = await api<EventPage>(target(o.dir), "GET", `/v1/events?${q}`);
  if (page.nextBefore !== undefined)
    process.stderr.write(`older events: slipway events --before ${page.nextBefore} --limit ${o.limit}\n`);
  if (o.json) return printJson(page.events);
  process.stdout.write(
    `${table(page.events.map((e) => ({ seq: e.seq, at: e.at.slice(0, 19).replace("T", " "), actor: e.actor, kind: e.kind, message: e.message })))}\n`,
  );
}

export async function logs(o: {
  dir: string;
  env: string;
  service: string;
  follow: boolean;
  lines: number;
  release?: number;
}): Promise<void> {
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  const q = new URLSearchParams({ service: o.service, lines: String(o.lines), follow: String(o.follow) });
  if (o.release !== undefined) q.set("release", String(o.release));
  try {
    for await (const line of stream(
      target(o.dir),
      `/v1/environments/${encodeURIComponent(o.env)}/logs?${q}`,
      ac.signal,
    ))
      process.stdout.write(`${line}\n`);
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
}

export async function down(o: { dir: string; json: boolean }): Promise<void> {
  const t = target(o.dir);
  const serverFile = t.dir ? join(t.dir, ".slipway", "server.json") : undefined;
  const server =
    serverFile && existsSync(serverFile)
      ? (JSON.parse(readFileSync(serverFile, "utf8")) as { pid?: number; startTime?: string })
      : {};
  await api(t, "POST", "/v1/down", {});
  if (!o.json) process.stderr.write("stopping processes, edge and add-ons…\n");
  // Wait until the control plane has exited, so nothing is left when this returns: a local
  // one by its pid, a remote one by its API going away.
  const { pid, startTime } = server;
  const running = async () => (t.dir ? !!(pid && startTime && isAlive(pid, startTime)) : await answers(t));
  for (let i = 0; i < 600 && (await running()); i++) await new Promise((r) => setTimeout(r, 100));
  if (o.json) printJson({ ok: true });
  else process.stdout.write("stack is down\n");
}

/** Whether the control plane still answers (its public /healthz). */
async function answers(t: Target): Promise<boolean> {
  try {
    const res = await request(t, { method: "GET", path: "/healthz" });
    res.resume();
    return true;
  } catch {
    return false;
  }
}

export async function createToken(o: {
  dir: string;
  name: string;
  role: string;
  expires?: number;
  json: boolean;
}): Promise<void> {
  const r = await api<{ token: string; row: TokenView }>(target(o.dir), "POST", "/v1/tokens", {
    name: o.name,
    role: o.role,
    ...(o.expires !== undefined ? { expiresInSeconds: o.expires } : {}),
  });
  if (o.json) return printJson(r);
  process.stdout.write(`${r.token}\n`);
  process.stderr.write(
    `(${r.row.role} token "${o.name}", ${r.row.id}${r.row.expiresAt ? `, expires ${when(r.row.expiresAt)}` : ""}; shown once)\n`,
  );
}

interface TokenView {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  state?: string;
}

/** Tokens and their state; never their text (the server does not have it) nor their hash. */
export async function listTokens(o: { dir: string; json: boolean }): Promise<void> {
  const { tokens } = await api<{ tokens: TokenView[] }>(target(o.dir), "GET", "/v1/tokens");
  if (o.json) return printJson(tokens);
  process.stdout.write(
    `${table(
      tokens.map((t) => ({
        id: t.id,
        name: t.name,
        role: t.role,
        state: t.state,
        created: when(t.createdAt),
        expires: t.expiresAt ? when(t.expiresAt) : "never",
        revoked: t.revokedAt ? when(t.revokedAt) : null,
      })),
    )}\n`,
  );
}

export async function revokeToken(o: { dir: string; ref: string; json: boolean }): Promise<void> {
  const { token } = await api<{ token: TokenView }>(
    target(o.dir),
    "DELETE",
    `/v1/tokens/${encodeURIComponent(o.ref)}`,
  );
  if (o.json) return printJson(token);
  process.stdout.write(`revoked ${token.role} token "${token.name}" (${token.id})\n`);
}

const when = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;

interface Protection {
  addon: string;
  enabled: boolean;
  streaming: boolean;
  lastBaseBackup: string | null;
  window: { earliest: string; latest: string } | null;
  retentionDays: number;
  lastDrill: {
    at: string;
    state: string;
    rpoMs: number | null;
    rtoMs: number | null;
    overTarget: boolean | null;
  } | null;
}

/** Backups per postgres add-on: WAL receiver, last base backup, recoverable window, last drill. */
function protectionLines(protections: Protection[]): string[] {
  if (!protections.length) return [];
  const time = (iso: string | null | undefined) => (iso ? iso.slice(0, 19).replace("T", " ") : undefined);
  const drill = (d: Protection["lastDrill"]) =>
    d
      ? `${time(d.at)} ${d.state}${d.rpoMs !== null ? ` RPO ${(d.rpoMs / 1000).toFixed(1)} s` : ""}${d.rtoMs !== null ? ` RTO ${(d.rtoMs / 1000).toFixed(1)} s` : ""}${d.overTarget ? " OVER TARGET" : ""}`
      : "never";
  return [
    "",
    table(
      protections.map((p) => ({
        backups: p.addon,
        wal: !p.enabled ? "off (spec)" : p.streaming ? "streaming" : "NOT STREAMING",
        "last base backup": time(p.lastBaseBackup) ?? "none yet",
        "restorable window (UTC)": p.window
          ? `${time(p.window.earliest)} .. ${time(p.window.latest)}`
          : "none yet",
        retention: `${p.retentionDays} d`,
        "last drill": drill(p.lastDrill),
      })),
    ),
  ];
}
