import type { RouteConfig, ServiceConfig } from "@slipway/core";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IService } from "kubernetes-models/v1/Service";
import { containerPort } from "../container";
import type { RenderInput } from "../input";
import { INGRESS_CLASS, meta, releaseLabels, selectorLabels, WAVE, wave } from "./objects";

/** A web service's stable address inside the namespace: `http://<name>:<port>` (NAME_URL). */
export function clusterService(input: RenderInput, name: string, service: ServiceConfig): IService {
  const port = containerPort(service)!;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(input, name, releaseLabels(input, name, "web"), wave(WAVE.services)),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(input, name),
      ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** "/api/" and "/api" are the same prefix. */
const normalize = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);

/**
 * The routes as one Ingress. Ingress `Prefix` paths match whole segments and the longest
 * wins, as the local edge does. A host rule replaces the catch-all rule for its host, so each
 * host also gets the catch-all routes it does not override: locally, a route with no host
 * answers every host for paths the host's own routes do not claim.
 */
export function ingress(input: RenderInput, routes: RouteConfig[]): IIngress | undefined {
  if (!routes.length) return undefined;
  const config = input.release.config.services;
  const anyHost = routes.filter((r) => !r.host);
  const hosts = [...new Set(routes.flatMap((r) => (r.host ? [r.host.toLowerCase()] : [])))].sort();
  const paths = (rs: RouteConfig[]) =>
    [...rs]
      .sort((a, b) => normalize(b.path).length - normalize(a.path).length || a.path.localeCompare(b.path))
      .map((r) => ({
        path: normalize(r.path),
        pathType: "Prefix" as const,
        backend: { service: { name: r.service, port: { number: containerPort(config[r.service]!)! } } },
      }));
  const forHost = (host: string) => {
    const own = routes.filter((r) => r.host?.toLowerCase() === host);
    const claimed = new Set(own.map((r) => normalize(r.path)));
    return paths([...own, ...anyHost.filter((r) => !claimed.has(normalize(r.path)))]);
  };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(input, input.stack, releaseLabels(input, input.stack, "edge"), wave(WAVE.services)),
    spec: {
      ingressClassName: INGRESS_CLASS,
      rules: [
        ...hosts.map((host) => ({ host, http: { paths: forHost(host) } })),
        ...(anyHost.length ? [{ http: { paths: paths(anyHost) } }] : []),
      ],
    },
  };
}
