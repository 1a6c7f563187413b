import { addonsOf, releaseJob } from "@slipway/core";
import { Document } from "yaml";
import { containerPort } from "../container";
import type { RenderedFile, RenderInput } from "../input";
import { composeAddon } from "./addons";
import { composeCrontab } from "./cron";
import { composeEdge, EDGE_CONFIG } from "./edge";
import { composeEnvExample } from "./env-file";
import type { ComposeFile, ComposeService } from "./model";
import { dataVolume, EDGE_SERVICE } from "./names";
import { composeNetworks } from "./networks";
import { composeService } from "./services";
import { assertComposeCanExpress } from "./unsupported";

/**
 * One environment of the stack for a single VM running Docker Compose: compose.yaml, the edge's
 * haproxy.cfg, `.env.example` for the secrets, a crontab when there are cron services, and the
 * init script of extra Postgres databases. Pure: the same input always gives the same bytes.
 * @throws SlipwayError SLW_RENDER_UNSUPPORTED naming a spec field Compose cannot express.
 */
export function renderCompose(input: RenderInput): RenderedFile[] {
  const { config } = input.release;
  assertComposeCanExpress(config, input.env);
  const addons = sorted(addonsOf(config), (name, addon) => composeAddon(name, addon));
  const networks = composeNetworks(config);
  const urls = serviceUrls(input);
  const edge = config.routes.length ? composeEdge(input, networks.of[EDGE_SERVICE] ?? []) : undefined;
  const job = releaseJob(config)?.[0];
  const services: Record<string, ComposeService> = {
    ...sorted(config.services, (name, service) =>
      composeService(name, service, {
        input,
        addons,
        urls,
        releaseJob: job,
        networks: networks.of[name] ?? [],
      }),
    ),
    ...Object.assign({}, ...Object.values(addons).map((a) => a.services)),
    ...(edge ? { [EDGE_SERVICE]: edge.service } : {}),
  };
  const configFiles = Object.assign({}, ...Object.values(addons).map((a) => a.configs)) as Record<
    string,
    RenderedFile
  >;
  if (edge) configFiles[EDGE_CONFIG] = edge.file;
  const volumes = [
    ...Object.entries(config.services).flatMap(([name, s]) => (s.volume ? [dataVolume(name)] : [])),
    ...Object.values(addons).flatMap((a) => a.volumes),
  ].sort();
  const compose: ComposeFile = {
    name: `${input.stack}-${input.env}`,
    services,
    networks: networks.networks,
    ...(volumes.length ? { volumes: Object.fromEntries(volumes.map((v) => [v, {}])) } : {}),
    ...(Object.keys(configFiles).length
      ? { configs: sorted(configFiles, (_, file) => ({ file: `./${file.path}` })) }
      : {}),
  };
  const crontab = composeCrontab(input);
  return [
    { path: "compose.yaml", content: composeYaml(input, compose) },
    composeEnvExample(input, addons),
    ...Object.values(configFiles),
    ...(crontab ? [crontab] : []),
  ].sort((a, b) => a.path.localeCompare(b.path));
}

/** NAME_URL of each web service: its name on the Docker network, at its container port. */
function serviceUrls(input: RenderInput): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [name, service] of Object.entries(input.release.config.services)) {
    const port = containerPort(service);
    if (port !== undefined) urls[name] = `http://${name}:${port}`;
  }
  return urls;
}

function composeYaml(input: RenderInput, compose: ComposeFile): string {
  // Written as YAML 1.1 so that strings such as "no" and "on" are quoted: readers that still
  // follow 1.1 would take them for booleans. The text is valid YAML 1.2 as well.
  const doc = new Document(compose, { version: "1.1" });
  const release =
    input.release.number === null ? "the spec (no release)" : `release v${input.release.number}`;
  doc.commentBefore = [
    ` Rendered by Slipway: ${input.stack} (${input.env}), ${release}, image ${input.image}.`,
    " Fill .env from .env.example, then: docker compose up -d",
    " Do not edit: a new render overwrites it.",
  ].join("\n");
  // No line folding: a health check script or a URL stays on one line.
  return doc.toString({ lineWidth: 0 });
}

function sorted<T, U>(record: Record<string, T>, map: (name: string, value: T) => U): Record<string, U> {
  return Object.fromEntries(
    Object.entries(record)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => [name, map(name, value)]),
  );
}
