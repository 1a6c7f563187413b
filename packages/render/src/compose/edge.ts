import {
  HAPROXY_RETRIES_AND_TIMEOUTS,
  haproxyStatusList,
  type ReleaseConfig,
  type RouteConfig,
  routeRules,
  statusRanges,
} from "@slipway/core";
import { containerPort } from "../container";
import type { RenderedFile, RenderInput } from "../input";
import { IMAGES } from "./images";
import type { ComposeService } from "./model";
import { EDGE_CONTAINER_PORT, EDGE_PORT_VARIABLE } from "./names";

export const EDGE_CONFIG = "edge_haproxy";

/**
 * The edge: HAProxy, as locally, with the spec's routes (host and path, the longest prefix
 * first). Unlike locally there is no runtime API driving it: each backend finds its service's
 * containers through Docker's DNS (one server slot per instance up to scale.max, so
 * `docker compose up --scale api=N` needs no new config) and health-checks them itself.
 */
export function composeEdge(input: RenderInput, networks: string[]) {
  const service: ComposeService = {
    image: IMAGES.haproxy,
    ports: [`\${${EDGE_PORT_VARIABLE}:-80}:${EDGE_CONTAINER_PORT}`],
    configs: [{ source: EDGE_CONFIG, target: "/usr/local/etc/haproxy/haproxy.cfg" }],
    restart: "unless-stopped",
    read_only: true,
    networks,
  };
  const file: RenderedFile = { path: "edge/haproxy.cfg", content: haproxyConfig(input) };
  return { service, file };
}

function haproxyConfig(input: RenderInput): string {
  const { config } = input.release;
  const backends = [...new Set(config.routes.map((r) => r.service))].sort();
  return [
    `# Rendered by Slipway for ${input.stack} (${input.env}). Do not edit: a new render overwrites it.`,
    "global",
    "  log stdout format raw local0 notice",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option http-keep-alive",
    "  option forwardfor",
    // A connection refused by a container that is going away is retried on another one.
    ...HAPROXY_RETRIES_AND_TIMEOUTS,
    "",
    // Docker's embedded DNS: a service name resolves to all of its running containers.
    "resolvers docker",
    "  nameserver dns 127.0.0.11:53",
    "  accepted_payload_size 8192",
    "  hold valid 5s",
    "",
    ...publicFrontend(config.routes),
    "backend _notfound",
    '  http-request return status 404 content-type text/plain string "no route for this host and path"',
    "",
    ...backends.flatMap((name) => backend(name, config)),
  ].join("\n");
}

function publicFrontend(routes: RouteConfig[]): string[] {
  const lines = ["frontend public", `  bind :${EDGE_CONTAINER_PORT}`];
  lines.push(...routeRules(routes, (route) => route.service));
  return [...lines, "  default_backend _notfound", ""];
}

function backend(name: string, config: ReleaseConfig): string[] {
  const service = config.services[name]!;
  const health = service.health;
  const kind = health?.kind ?? "http";
  const check =
    health && kind !== "process"
      ? ["check", "inter", `${Math.max(1, Math.round(health.intervalSeconds))}s`, "fall", "2", "rise", "2"]
      : [];
  const slots = Math.max(1, service.scale?.max ?? service.replicas);
  return [
    `backend ${name}`,
    "  balance roundrobin",
    "  http-request disable-l7-retry if !METH_GET",
    ...(health && kind === "http"
      ? [
          "  option httpchk",
          `  http-check send meth GET uri ${health.path ?? "/healthz"}`,
          `  http-check expect status ${haproxyStatusList(statusRanges(health.expect))}`,
        ]
      : []),
    // init-addr none: start even while the service has no container yet; DNS fills the slots.
    `  server-template ${name}- ${slots} ${name}:${containerPort(service)} ${[...check, "resolvers", "docker", "init-addr", "none"].join(" ")}`,
    "",
  ];
}
