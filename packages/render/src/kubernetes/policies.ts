import { addonsOf } from "@slipway/core";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import { containerPort } from "../container";
import type { RenderInput } from "../input";
import {
  CNPG_NAMESPACE,
  INGRESS_NAMESPACE,
  type K8sObject,
  KEDA_NAMESPACE,
  labels,
  meta,
  POSTGRES_PORT,
  REDIS_PORT,
  rendered,
  selectorLabels,
  WAVE,
  wave,
} from "./objects";
import { scalingOf } from "./scaling";

/** CloudNativePG's instance manager serves status to the operator on this port. */
const CNPG_STATUS_PORT = 8000;

const fromNamespace = (name: string): INetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

/**
 * Ingress NetworkPolicies: nothing reaches a pod of the namespace unless a policy lets it.
 * A web service accepts the services that `call` it and, when a route points at it, the
 * ingress controller; a private service (no route) only its callers. An add-on accepts the
 * services that `use` it, and the operator that runs it (CloudNativePG) or reads it (KEDA).
 * Egress is left open: services reach external S3 and APIs.
 */
export function networkPolicies(input: RenderInput): K8sObject[] {
  const config = input.release.config;
  const services = Object.entries(config.services);
  const peersOf = (names: string[]) =>
    [...new Set(names)]
      .sort()
      .map((n): INetworkPolicyPeer => ({ podSelector: { matchLabels: selectorLabels(input, n) } }));
  const policy = (
    name: string,
    podSelector: Record<string, string>,
    rules: { from: INetworkPolicyPeer[]; ports: number[] }[],
  ): K8sObject => {
    const np: INetworkPolicy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(input, name, labels(input, input.stack, "network-policy"), wave(WAVE.namespace)),
      spec: {
        podSelector: { matchLabels: podSelector },
        policyTypes: ["Ingress"],
        ingress: rules
          .filter((r) => r.from.length)
          .map((r) => ({ from: r.from, ports: r.ports.map((port) => ({ protocol: "TCP", port })) })),
      },
    };
    return rendered(np);
  };

  const denyAll: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(input, "default-deny", labels(input, input.stack, "network-policy"), wave(WAVE.namespace)),
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
  const routed = new Set(config.routes.map((r) => r.service));
  const webPolicies = services
    .filter(([, s]) => s.type === "web")
    .map(([name, s]) => {
      const callers = services.filter(([, c]) => c.calls.includes(name)).map(([n]) => n);
      const from = [...peersOf(callers), ...(routed.has(name) ? [fromNamespace(INGRESS_NAMESPACE)] : [])];
      return policy(`${name}-ingress`, selectorLabels(input, name), [{ from, ports: [containerPort(s)!] }]);
    });
  const addonPolicies = Object.entries(addonsOf(config)).flatMap(([name, addon]) => {
    const users = services.filter(([, s]) => s.uses.includes(name)).map(([n]) => n);
    if (addon.type === "postgres") {
      const cluster = { "cnpg.io/cluster": name };
      return [
        policy(`${name}-ingress`, cluster, [
          { from: peersOf(users), ports: [POSTGRES_PORT] },
          // Replicas stream from the primary; the operator reads each instance's status.
          { from: [{ podSelector: { matchLabels: cluster } }], ports: [POSTGRES_PORT, CNPG_STATUS_PORT] },
          { from: [fromNamespace(CNPG_NAMESPACE)], ports: [POSTGRES_PORT, CNPG_STATUS_PORT] },
        ]),
      ];
    }
    if (addon.type === "redis") {
      const scaledOnIt = services.some(([, s]) => {
        const scaling = scalingOf(input, s);
        return scaling.kind === "queue" && scaling.redis === name;
      });
      return [
        policy(`${name}-ingress`, selectorLabels(input, name), [
          {
            from: [...peersOf(users), ...(scaledOnIt ? [fromNamespace(KEDA_NAMESPACE)] : [])],
            ports: [REDIS_PORT],
          },
        ]),
      ];
    }
    return [];
  });
  return [rendered(denyAll), ...webPolicies, ...addonPolicies];
}
