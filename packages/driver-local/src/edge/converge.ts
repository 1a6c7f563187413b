import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { commandsFor, planCanaryCookie, planDrainCookies, planServerChanges, removalCommands } from "./plan";
import type { RuntimeSocket } from "./runtime-socket";
import { findAclId, parseAclEntries, parseMapEntries } from "./show-acl";
import { parseServerRows, type ServerRow } from "./show-stat";
import type { EdgeBackend } from "./types";

export interface ConvergeContext {
  socket: RuntimeSocket;
  drainAclPath: (backend: string) => string;
  canaryMapPath: (backend: string) => string;
  /** How long a removed server may keep finishing requests before they are cut. */
  drainTimeoutMs: number;
}

/** How long cut requests (`shutdown sessions`) get to actually go before we give up. */
const FORCE_GRACE_MS = 5000;

/** The backend's servers as HAProxy reports them right now. */
export async function serverRows(socket: RuntimeSocket, backend: string): Promise<ServerRow[]> {
  return parseServerRows(await socket.send(`show stat ${backend} 4 -1`)).filter((r) => r.backend === backend);
}

/**
 * observe → plan → apply, through the runtime API only. Removals run in parallel since each
 * waits for its own in-flight requests.
 */
export async function convergeBackend(ctx: ConvergeContext, backend: EdgeBackend): Promise<void> {
  const actions = planServerChanges(backend.servers, await serverRows(ctx.socket, backend.name));
  for (const action of actions) {
    if (action.op === "remove") continue;
    for (const command of commandsFor(backend.name, action, backend.health)) await ctx.socket.send(command);
  }
  const removals = actions.flatMap((a) => (a.op === "remove" ? [a.server] : []));
  await Promise.all(removals.map((server) => removeServer(ctx, backend.name, server)));
  await applyDrainCookies(ctx, backend);
  await applyCanaryCookie(ctx, backend);
}

/**
 * maint → wait for in-flight requests → del server. After the drain timeout the remaining
 * requests are cut; a server that still will not go is left in maintenance (no traffic).
 */
async function removeServer(ctx: ConvergeContext, backend: string, server: string): Promise<void> {
  const steps = removalCommands(backend, server);
  await ctx.socket.send(steps.stopTraffic);
  const drainUntil = Date.now() + ctx.drainTimeoutMs;
  const giveUpAt = drainUntil + FORCE_GRACE_MS;
  let forced = false;
  for (;;) {
    const inFlight = (await serverRows(ctx.socket, backend)).find((r) => r.server === server)?.sessions ?? 0;
    if (inFlight > 0) {
      if (Date.now() > giveUpAt) throw stuck(backend, server, `${inFlight} requests still in flight`);
      if (Date.now() > drainUntil && !forced) {
        await ctx.socket.send(steps.force);
        forced = true;
      }
      await sleep(25);
      continue;
    }
    // Connections of requests that finished during the drain went back to the idle pool,
    // which `del server` refuses. HAProxy 2.6 closes a server's idle connections when it
    // enters maintenance, so leave it for a moment (drain: still no balanced traffic).
    for (const command of steps.closeIdle) await ctx.socket.send(command);
    try {
      await ctx.socket.send(steps.remove);
      return;
    } catch (e) {
      // A request slipped in (a cookie holder during the drain blip): wait for it too.
      if (!/still has connections/.test((e as Error).message)) throw e;
      if (Date.now() > giveUpAt) throw stuck(backend, server, "connections still attached");
      await sleep(25);
    }
  }
}

/**
 * HAProxy keeps honouring a drained server's cookie; a switch must move everyone. So the
 * backend's ignore-persist list (at run time, and in its file for a restart) holds exactly
 * the drained servers' cookies.
 */
async function applyDrainCookies(ctx: ConvergeContext, backend: EdgeBackend): Promise<void> {
  const file = ctx.drainAclPath(backend.name);
  const id = findAclId(await ctx.socket.send("show acl"), file);
  if (!id)
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `HAProxy has no drain list for backend ${backend.name} (${file})`,
    );
  const listed = parseAclEntries(await ctx.socket.send(`show acl ${id}`));
  const change = planDrainCookies(backend.servers, await serverRows(ctx.socket, backend.name), listed);
  for (const cookie of change.add) await ctx.socket.send(`add acl ${id} ${cookie}`);
  for (const cookie of change.del) await ctx.socket.send(`del acl ${id} ${cookie}`);
  // Cookies are a hash of key, ip and port, so the same values hold after a restart.
  const kept = [...listed.filter((c) => !change.del.includes(c)), ...change.add];
  writeFileAtomic(file, kept.map((c) => `${c}\n`).join(""), 0o600);
}

/**
 * Forced requests (header or cookie) reach the canary through its cookie, which HAProxy only
 * computes once the server exists: so after the server changes, at run time and in the map's
 * file for a restart (cookies are a hash of key, ip and port: the same after a restart).
 */
async function applyCanaryCookie(ctx: ConvergeContext, backend: EdgeBackend): Promise<void> {
  const file = ctx.canaryMapPath(backend.name);
  const id = findAclId(await ctx.socket.send("show map"), file);
  if (!id)
    throw new SlipwayError(
      "SLW_EDGE_FAILED",
      `HAProxy has no canary map for backend ${backend.name} (${file})`,
    );
  const listed = parseMapEntries(await ctx.socket.send(`show map ${id}`));
  const rows = await serverRows(ctx.socket, backend.name);
  const commands = planCanaryCookie(backend.name, backend.servers, rows, listed, id);
  for (const command of commands) await ctx.socket.send(command);
  const now = parseMapEntries(await ctx.socket.send(`show map ${id}`));
  writeFileAtomic(file, [...now].map(([k, v]) => `${k} ${v}\n`).join(""), 0o600);
}

function stuck(backend: string, server: string, why: string): SlipwayError {
  return new SlipwayError(
    "SLW_EDGE_FAILED",
    `could not remove ${backend}/${server} from the edge: ${why}; it stays in maintenance (no traffic)`,
    "the next change to this backend tries again; a longer drain timeout lets long requests finish",
    { backend, server },
  );
}
