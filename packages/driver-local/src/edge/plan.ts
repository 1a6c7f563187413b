import { serverArgs } from "./render";
import type { ServerRow } from "./show-stat";
import type { EdgeHealth, EdgeServer, EdgeServerState } from "./types";

/** One step that moves a backend's live servers toward the desired list. */
export type ServerAction =
  | { op: "add"; server: EdgeServer }
  | { op: "set-port"; server: string; port: number }
  | { op: "set-weight"; server: string; weight: number }
  | { op: "set-state"; server: string; state: EdgeServerState }
  /** maint, wait until its in-flight requests are done, then delete. */
  | { op: "remove"; server: string };

export type ObservedServer = Pick<ServerRow, "server" | "port" | "weight" | "state">;

/**
 * Pure: what to change so `observed` becomes `desired`. New servers come first, then the
 * servers that gain traffic, then those that lose it, and removed ones last, so the backend
 * always has somewhere to send a request while traffic moves (a switch that lowered the old
 * revision before raising the new one would answer 503 in between).
 */
export function planServerChanges(desired: EdgeServer[], observed: ObservedServer[]): ServerAction[] {
  const live = new Map(observed.map((o) => [o.server, o]));
  const wanted = new Set(desired.map((d) => d.name));
  const adds: ServerAction[] = [];
  const gaining: ServerAction[] = [];
  const losing: ServerAction[] = [];
  for (const d of desired) {
    const o = live.get(d.name);
    if (!o) {
      adds.push({ op: "add", server: d });
      continue;
    }
    const port: ServerAction[] = o.port !== d.port ? [{ op: "set-port", server: d.name, port: d.port }] : [];
    const weight: ServerAction[] =
      o.weight !== d.weight ? [{ op: "set-weight", server: d.name, weight: d.weight }] : [];
    const state: ServerAction[] =
      o.state !== d.state ? [{ op: "set-state", server: d.name, state: d.state }] : [];
    // Entering service: weight first, so it starts with its share. Leaving: state first, so a
    // new weight never briefly attracts traffic.
    const gains = d.state === "ready" && (o.state !== "ready" || d.weight > o.weight);
    (gains ? gaining : losing).push(
      ...port,
      ...(d.state === "ready" ? [...weight, ...state] : [...state, ...weight]),
    );
  }
  const removes: ServerAction[] = observed
    .filter((o) => !wanted.has(o.server))
    .map((o) => ({ op: "remove", server: o.server }));
  return [...adds, ...gaining, ...losing, ...removes];
}

/** Runtime-API commands for every action but `remove` (which waits between its steps). */
export function commandsFor(
  backend: string,
  action: Exclude<ServerAction, { op: "remove" }>,
  health: EdgeHealth | undefined,
): string[] {
  switch (action.op) {
    case "add": {
      const s = action.server;
      const id = `${backend}/${s.name}`;
      return [
        // A dynamic server starts in maintenance: nothing reaches it before the last step.
        `add server ${id} ${serverArgs(s, health).join(" ")}`,
        // Computes the cookie of servers that have none yet (i.e. the one just added).
        `enable dynamic-cookie backend ${backend}`,
        ...(health ? [`enable health ${id}`] : []),
        `set server ${id} state ${s.state}`,
      ];
    }
    case "set-port":
      return [
        `set server ${backend}/${action.server} addr 127.0.0.1 port ${action.port}`,
        `enable dynamic-cookie backend ${backend}`,
      ];
    case "set-weight":
      return [`set server ${backend}/${action.server} weight ${action.weight}`];
    case "set-state":
      return [`set server ${backend}/${action.server} state ${action.state}`];
  }
}

/** The steps of removing a server; `force` only after the drain timeout. */
export function removalCommands(backend: string, server: string) {
  const id = `${backend}/${server}`;
  return {
    stopTraffic: `set server ${id} state maint`,
    force: `shutdown sessions server ${id}`,
    closeIdle: [`set server ${id} state drain`, `set server ${id} state maint`],
    remove: `del server ${id}`,
  };
}

/**
 * Pure: which cookie values the backend's ignore-persist list must gain and lose so that
 * exactly the drained servers' cookies are ignored (their holders are balanced elsewhere).
 */
export function planDrainCookies(
  desired: EdgeServer[],
  rows: Pick<ServerRow, "server" | "cookie">[],
  listed: string[],
): { add: string[]; del: string[] } {
  const draining = new Set(desired.filter((d) => d.state === "drain").map((d) => d.name));
  const wanted = new Set(rows.filter((r) => draining.has(r.server) && r.cookie).map((r) => r.cookie));
  const present = new Set(listed);
  return {
    add: [...wanted].filter((c) => !present.has(c)),
    del: [...present].filter((c) => !wanted.has(c)),
  };
}

/**
 * Pure: the runtime-API commands that make the backend's canary map (`<backend> <cookie>`)
 * name the cookie of its first ready canary server (every server of the new revision is
 * marked canary; forced requests go to one of them), or nothing when it has none (a draining or
 * stopped canary is no target for forced requests: they are balanced by weight instead).
 */
export function planCanaryCookie(
  backend: string,
  desired: EdgeServer[],
  rows: Pick<ServerRow, "server" | "cookie">[],
  listed: Map<string, string>,
  mapId: string,
): string[] {
  const canary = desired.find((d) => d.canary && d.state === "ready");
  const cookie = rows.find((r) => r.server === canary?.name)?.cookie || undefined;
  const current = listed.get(backend);
  if (cookie === current) return [];
  if (cookie === undefined) return [`del map ${mapId} ${backend}`];
  return [
    current === undefined ? `add map ${mapId} ${backend} ${cookie}` : `set map ${mapId} ${backend} ${cookie}`,
  ];
}
