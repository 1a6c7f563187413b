import { addonsOf, type ReleaseConfig } from "@slipway/core";
import type { ComposeNetwork } from "./model";
import { addonNetwork, EDGE_SERVICE, egressNetwork, PUBLIC_NETWORK } from "./names";

/**
 * Who can reach whom. Containers on one Docker network can all reach each other, so each
 * network holds exactly the containers that may talk:
 * - `slipway_public`: the edge and the routed web services (public through the edge anyway);
 * - `to_<service>` (internal): a called service and its callers only, so a private service
 *   (a web service no route points at) is reachable by the services that `call` it and nobody else;
 * - `addon_<addon>` (internal): an add-on and the services that `use` it;
 * - `egress_<service>`: the way out of every service that is not on the public network,
 *   shared with nobody.
 * Internal networks have no route off the host; those three kinds of service keep one through
 * their own egress network (or the public one).
 */
export interface ComposeNetworks {
  networks: Record<string, ComposeNetwork>;
  /** The networks of each app service and of the edge (add-ons name their own). */
  of: Record<string, string[]>;
}

export const callNetwork = (service: string) => `to_${service}`;

export function composeNetworks(config: ReleaseConfig): ComposeNetworks {
  const routed = new Set(config.routes.map((r) => r.service));
  const networks: Record<string, ComposeNetwork> = {};
  const of: Record<string, string[]> = {};
  const join = (member: string, network: string, spec: ComposeNetwork) => {
    networks[network] = spec;
    of[member] = [...new Set([...(of[member] ?? []), network])];
  };
  if (routed.size) join(EDGE_SERVICE, PUBLIC_NETWORK, {});
  for (const [name, service] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    if (routed.has(name)) join(name, PUBLIC_NETWORK, {});
    else join(name, egressNetwork(name), {});
    for (const callee of service.calls) {
      join(callee, callNetwork(callee), { internal: true });
      join(name, callNetwork(callee), { internal: true });
    }
    for (const addon of service.uses) join(name, addonNetwork(addon), { internal: true });
  }
  // Add-on containers join their network in ./addons.ts; an add-on nobody uses still gets one.
  for (const addon of Object.keys(addonsOf(config))) networks[addonNetwork(addon)] = { internal: true };
  for (const member of Object.keys(of)) of[member]!.sort();
  return {
    networks: Object.fromEntries(Object.entries(networks).sort(([a], [b]) => a.localeCompare(b))),
    of,
  };
}
