import type { ServiceConfig } from "@slipway/core";

/**
 * How a build runs inside a container, shared by every target that runs the image the
 * Dockerfile makes (Compose, Kubernetes), so they agree on paths, ports and the user.
 */

/** Where the build lives in the image; the working directory of every service. */
export const APP_DIR = "/app";

/** Where a service with `volume: true` gets its persistent directory ($SLIPWAY_VOLUME). */
export const VOLUME_DIR = "/data";

/** The unprivileged user of the official Node images (uid/gid 1000), which every service runs as. */
export const APP_USER = { name: "node", uid: 1000, gid: 1000 } as const;

/** A web service listens here in its container unless its spec sets `port`. */
export const DEFAULT_CONTAINER_PORT = 8080;

/** The port a web service listens on inside its container ($PORT); undefined for other types. */
export function containerPort(service: ServiceConfig): number | undefined {
  return service.type === "web" ? (service.port ?? DEFAULT_CONTAINER_PORT) : undefined;
}

/** SLIPWAY_RELEASE as a container sees it: "v3", or "unreleased" when rendered straight from the spec. */
export function releaseLabel(release: number | null): string {
  return release === null ? "unreleased" : `v${release}`;
}
