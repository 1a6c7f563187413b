import { envName } from "@slipway/core";
import type { RenderInput } from "../input";

/**
 * Names, labels and the cluster-side conventions every rendered object shares. Everything of
 * one environment lives in one namespace, so object names are the spec's own names.
 */

/** A rendered object: any Kubernetes kind, as plain data (validated by ./validate.ts). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Where the ingress controller runs (ingress-nginx's default); NetworkPolicies let it in. */
export const INGRESS_NAMESPACE = "ingress-nginx";
export const INGRESS_CLASS = "nginx";
/** Where the CloudNativePG operator and KEDA run by default: both must reach the add-ons. */
export const CNPG_NAMESPACE = "cnpg-system";
export const KEDA_NAMESPACE = "keda";

export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;
/** Pinned like the Node image: the same render gives the same servers next month. */
export const REDIS_IMAGE = "redis:7.2.5-alpine";
/** The official Redis image's `redis` user. */
export const REDIS_UID = 999;
export const postgresImage = (major: number) => `ghcr.io/cloudnative-pg/postgresql:${major}`;

/** Until the spec says how big: what a PersistentVolumeClaim asks for. */
export const DEFAULT_STORAGE = "1Gi";

/** `shop-prod`: one namespace per stack and environment. */
export const namespaceOf = (input: RenderInput) => `${input.stack}-${input.env}`;

/** The labels that select a service's pods: stable across releases (a selector is immutable). */
export function selectorLabels(input: RenderInput, name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": namespaceOf(input) };
}

/** Kubernetes' recommended labels: the same for every release (add-ons, the namespace). */
export function labels(input: RenderInput, name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(input, name),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": input.stack,
    "app.kubernetes.io/managed-by": "slipway",
    "slipway.dev/environment": input.env,
  };
}

/**
 * The labels of what a release runs (its services' objects and pods): the recommended ones,
 * plus the release and the build, so `kubectl get pods -l slipway.dev/release=v3` finds them.
 * Add-ons never carry these: a new release must not restart Redis.
 */
export function releaseLabels(input: RenderInput, name: string, component: string): Record<string, string> {
  return {
    ...labels(input, name, component),
    "app.kubernetes.io/version": input.release.build.slice(0, 12),
    ...(input.release.number !== null ? { "slipway.dev/release": `v${input.release.number}` } : {}),
    "slipway.dev/build": input.release.build.slice(0, 63),
  };
}

/** Metadata of an object; `labels` picks which set (see `labels` and `releaseLabels`). */
export function meta(
  input: RenderInput,
  name: string,
  objectLabels: Record<string, string>,
  annotations?: Record<string, string>,
): K8sObject["metadata"] {
  return {
    name,
    namespace: namespaceOf(input),
    labels: objectLabels,
    ...(annotations ? { annotations } : {}),
  };
}

/**
 * Argo CD applies lower waves first and waits for them to be healthy: the namespace and its
 * NetworkPolicies (-2, so nothing runs a moment without them), add-ons (-1), then the
 * release job (0, a Job is healthy once it completed), then the services (1). `kubectl` users
 * follow the same order by hand (docs/render-kubernetes.md).
 */
export const wave = (n: number) => ({ "argocd.argoproj.io/sync-wave": String(n) });
export const WAVE = { namespace: -2, addons: -1, releaseJob: 0, services: 1 } as const;

/** The Secrets Slipway never writes (their values would land on disk): the operator creates them. */
export const secretNames = {
  /** Made by CloudNativePG itself: username, password, host, port, dbname, uri… */
  postgres: (addon: string) => `${addon}-app`,
  redis: (addon: string) => `${addon}-redis`,
  bucket: (addon: string) => `${addon}-s3`,
};

/** The variables a composed URL takes its user and password from (fed by a Secret); SLIPWAY_-prefixed so they never collide with the app's names. */
export const passwordVar = (addon: string) => `SLIPWAY_${envName(addon)}_PASSWORD`;
export const userVar = (addon: string) => `SLIPWAY_${envName(addon)}_USER`;

/** One of kubernetes-models' typed objects (IDeployment…) as a rendered object. */
export const rendered = <T extends { apiVersion: string; kind: string }>(object: T): K8sObject =>
  object as unknown as K8sObject;
