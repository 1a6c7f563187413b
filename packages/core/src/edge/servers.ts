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
  /** The new revision of a canary or blue/green rollout (see `EdgeServer.canary`). */
  canary?: true;
}

/** A rollout's new revision taking `weight`% of new requests beside the live release. */
export interface CanarySplit {
  releaseId: string;
  weight: number;
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
  canary?: CanarySplit,
): Record<string, DesiredServer[]> {
  const out: Record<string, DesiredServer[]> = {};
  const serving = (p: WebProcess, releaseId: string | null | undefined) =>
    p.status === "running" && p.releaseId === releaseId;
  const count = (service: string, releaseId: string | null | undefined) =>
    processes.filter((q) => q.service === service && serving(q, releaseId)).length;
  for (const p of processes) {
    if (p.status === "stopped" || serving(p, pendingTargetId)) continue;
    const live = serving(p, liveReleaseId);
    const isCanary = !!canary && serving(p, canary.releaseId);
    const list = out[p.service] ?? [];
    out[p.service] = list;
    // A live server keeps weight 100 unless a canary shares its backend; then each side's share
    // is spread over its servers. A live server at share 0 stays ready: kept warm for a rollback.
    const weight = !canary
      ? live
        ? 100
        : 0
      : isCanary
        ? serverWeight(canary.weight, count(p.service, canary.releaseId))
        : live
          ? serverWeight(100 - canary.weight, count(p.service, liveReleaseId))
          : 0;
    list.push({
      name: serverName(p.releaseNumber, p.replica),
      port: p.port,
      weight,
      state: live || isCanary ? "ready" : "drain",
      ...(isCanary ? { canary: true as const } : {}),
    });
  }
  for (const list of Object.values(out)) list.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

/**
 * One server's HAProxy weight (0-256) when `servers` servers share `percent`% of a backend's
 * new requests: the backend's whole range is used so small shares stay precise, and a share
 * above 0 never rounds down to no traffic.
 */
export function serverWeight(percent: number, servers: number): number {
  if (percent <= 0 || servers === 0) return 0;
  return Math.min(256, Math.max(1, Math.round((256 * percent) / 100 / servers)));
}

/** "v3-1": the release number makes the revision visible in metrics and cookies. */
export const serverName = (release: number, replica: number) => `v${release}-${replica}`;
