import { type HealthConfig, SlipwayError, statusRanges } from "@slipway/core";
import type { IProbe } from "kubernetes-models/v1/Probe";

export interface Probes {
  readinessProbe?: IProbe;
  livenessProbe?: IProbe;
  startupProbe?: IProbe;
}

/**
 * A web service's health check as probes. Readiness is the local edge's check (every
 * `intervalSeconds`; two failures take a pod out of the Service, two passes bring it back);
 * the startup probe gives it `timeoutSeconds` to become healthy; liveness restarts a pod that
 * stays unhealthy (slower, so a blip only takes it out of rotation). A "process" check has no
 * probe: staying up is the check, as locally.
 * @throws SlipwayError SLW_RENDER_UNSUPPORTED for expected statuses outside 200-399, which
 *   Kubernetes' HTTP probe cannot accept.
 */
export function probesFor(service: string, health: HealthConfig | undefined, port: number): Probes {
  if (!health || health.kind === "process") return {};
  const handler =
    health.kind === "tcp" ? { tcpSocket: { port } } : { httpGet: httpCheck(service, health, port) };
  const period = Math.max(1, Math.ceil(health.intervalSeconds));
  return {
    startupProbe: {
      ...handler,
      periodSeconds: period,
      failureThreshold: Math.max(1, Math.ceil(health.timeoutSeconds / period)),
    },
    readinessProbe: { ...handler, periodSeconds: period, failureThreshold: 2, successThreshold: 2 },
    livenessProbe: { ...handler, periodSeconds: Math.max(10, period), failureThreshold: 3 },
  };
}

function httpCheck(service: string, health: HealthConfig, port: number) {
  const outside = statusRanges(health.expect).filter(([lo, hi]) => lo < 200 || hi > 399);
  if (outside.length)
    throw new SlipwayError(
      "SLW_RENDER_UNSUPPORTED",
      `services.${service}.health.expect: Kubernetes' HTTP probe counts only 200-399 as healthy, so ${outside
        .map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`))
        .join(", ")} cannot be expected`,
      'expect statuses within 200-399 (e.g. ["200-399"]), or use health kind "tcp"',
      { field: `services.${service}.health.expect`, target: "kubernetes" },
    );
  return { path: health.path ?? "/healthz", port };
}
