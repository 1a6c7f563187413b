export interface WebProcess {
  service: string;
  releaseId: string;
  releaseNumber: number;
  replica: number;
  port: number;
  /** running: meant to serve; draining: out of traffic, finishing what it has; stopped: gone. */
  status: "running" | "draining" | "stopped";
}

export interface DesiredServer {
  name: string;
  port: number;
  weight: number;
  state: "ready" | "drain";
}

/**
 * Which servers each edge backend should have. The live release's processes take traffic;
 * processes of other releases that still run are draining (in-flight requests and open
 * connections finish, no new ones) — except the target of a rollout in flight, which gets no
 * traffic until the switch: traffic never reaches a revision that has not passed its health
 * check. A server leaves the backend once its process is gone.
 */
export function desiredServers(
  processes: WebProcess[],
  liveReleaseId: string | null,
  pendingTargetId: string | null,
): Record<string, DesiredServer[]> {
  const out: Record<string, DesiredServer[]> = {};
  for (const p of processes) {
    if (p.status === "stopped" || (p.status === "running" && p.releaseId === pendingTargetId)) continue;
    const live = p.status === "running" && p.releaseId === liveReleaseId;
    const list = out[p.service] ?? [];
    out[p.service] = list;
    list.push({
      name: serverName(p.releaseNumber, p.replica),
      port: p.port,
      weight: live ? 100 : 0,
      state: live ? "ready" : "drain",
    });
  }
  for (const list of Object.values(out)) list.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

/** "v3-1": the release number makes the revision visible in metrics and cookies. */
export const serverName = (release: number, replica: number) => `v${release}-${replica}`;
