import type { K8sObject } from "./objects";

/** Who a connection comes from or goes to: a pod's namespace (and that namespace's labels) and labels. */
export interface PodIdentity {
  namespace: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: Rule[];
}

function matches(selector: Selector, labels: Record<string, string>): boolean {
  // Only what Slipway renders; a selector beyond it must not be judged as if it were simpler.
  if (selector.matchExpressions?.length) throw new Error("matchExpressions are not evaluated");
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerAdmits(peer: Peer, policyNamespace: string, from: PodIdentity): boolean {
  if (peer.ipBlock) throw new Error("ipBlock peers are not evaluated");
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, from.namespaceLabels)
    : from.namespace === policyNamespace;
  return namespaceOk && (!peer.podSelector || matches(peer.podSelector, from.labels));
}

/**
 * Whether NetworkPolicies let `from` open a TCP connection to `to` on `port`, by the
 * Kubernetes rules: a pod no Ingress policy selects accepts everything; a selected pod accepts
 * what at least one rule of a policy selecting it allows (an empty `from` or `ports` means any).
 * Pure, for tests: there is no cluster to ask.
 */
export function evaluateIngress(
  policies: K8sObject[],
  from: PodIdentity,
  to: PodIdentity,
  port: number,
): boolean {
  const selecting = policies
    .filter((p) => p.kind === "NetworkPolicy" && p.metadata.namespace === to.namespace)
    .map((p) => p.spec as PolicySpec)
    .filter(
      (spec) => (spec.policyTypes ?? ["Ingress"]).includes("Ingress") && matches(spec.podSelector, to.labels),
    );
  if (!selecting.length) return true;
  return selecting.some((spec) =>
    (spec.ingress ?? []).some(
      (rule) =>
        (!rule.from?.length || rule.from.some((peer) => peerAdmits(peer, to.namespace, from))) &&
        (!rule.ports?.length || rule.ports.some((p) => (p.protocol ?? "TCP") === "TCP" && p.port === port)),
    ),
  );
}
