import { addonsOf, cronServices, releaseJob, type ServiceConfig } from "@slipway/core";
import { stringify } from "yaml";
import type { RenderedFile, RenderInput } from "../input";
import { addonObjects } from "./addons";
import { backupRepositorySecret, externalSecrets, flagsConfigMap } from "./config-objects";
import { assertExpressible } from "./expressible";
import { clusterService, ingress } from "./networking";
import { type K8sObject, labels, namespaceOf, rendered, WAVE, wave } from "./objects";
import { networkPolicies } from "./policies";
import { judged, judgeTemplate, previewService, rolledOut, rollout } from "./rollouts";
import { autoscaler, disruptionBudget, scalingOf } from "./scaling";
import { cronJob, deployment, releaseJob as releaseJobObject, volumeClaim } from "./workloads";

/** One output file and the objects in it, in the order they are applied. */
export interface ManifestFile {
  path: string;
  objects: K8sObject[];
}

/**
 * The Kubernetes objects of one environment of the stack, for one release, grouped in files
 * whose names sort in apply order: namespace and policies, add-ons, the release job, the
 * services, the ingress. Pure: the same input gives the same objects in the same order.
 * @throws SlipwayError SLW_RENDER_UNSUPPORTED when the spec says something Kubernetes cannot.
 */
export function kubernetesManifests(input: RenderInput): ManifestFile[] {
  assertExpressible(input);
  const config = input.release.config;
  const job = releaseJob(config);
  const files: ManifestFile[] = [
    { path: "00-namespace.yaml", objects: [namespace(input)] },
    { path: "01-network-policies.yaml", objects: networkPolicies(input) },
    {
      path: "05-secrets-and-flags.yaml",
      objects: [
        ...externalSecrets(input),
        ...optional(backupRepositorySecret(input)),
        ...optional(flagsConfigMap(input)),
      ],
    },
    ...Object.entries(addonsOf(config)).map(([name, addon]) => ({
      path: `10-addon-${name}.yaml`,
      objects: addonObjects(input, name, addon),
    })),
    ...(job
      ? [{ path: `20-release-${job[0]}.yaml`, objects: releaseJobObjects(input, job[0], job[1]) }]
      : []),
    ...Object.entries(config.services)
      .filter(([, s]) => s.type === "web" || s.type === "worker")
      .map(([name, s]) => ({ path: `30-${s.type}-${name}.yaml`, objects: serviceObjects(input, name, s) })),
    ...cronServices(config).map(([name, s]) => ({
      path: `30-cron-${name}.yaml`,
      objects: [...volumes(input, name, s), rendered(cronJob(input, name, s, s.schedule))],
    })),
    {
      path: "40-ingress.yaml",
      objects: [ingress(input, config.routes)].flatMap((i) => (i ? [rendered(i)] : [])),
    },
  ];
  return files.filter((f) => f.objects.length);
}

const optional = <T>(x: T | undefined): T[] => (x === undefined ? [] : [x]);

/** The manifests as YAML files, plus a kustomization listing them in order (`kubectl apply -k`). */
export function renderKubernetes(input: RenderInput): RenderedFile[] {
  const files = kubernetesManifests(input);
  return [
    ...files.map((f) => ({ path: f.path, content: toYaml(input, f.objects) })),
    {
      path: "kustomization.yaml",
      content: `${header(input)}${stringify(
        {
          apiVersion: "kustomize.config.k8s.io/v1beta1",
          kind: "Kustomization",
          resources: files.map((f) => f.path),
        },
        YAML_OPTIONS,
      )}`,
    },
  ];
}

/** YAML 1.1 quoting ("yes", "no", "on" stay strings), as the Go YAML readers of kubectl and Argo CD need. */
export const YAML_OPTIONS = { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false } as const;

const header = (input: RenderInput) =>
  `# Rendered by Slipway: stack ${input.stack}, environment ${input.env}, ${
    input.release.number !== null ? `release v${input.release.number}` : "from the spec (no release)"
  }, build ${input.release.build}. Do not edit: render again.\n`;

function toYaml(input: RenderInput, objects: K8sObject[]): string {
  return header(input) + objects.map((o) => `---\n${stringify(o, YAML_OPTIONS)}`).join("");
}

/**
 * Pod Security "restricted" is enforced on the namespace: a pod that could run as root or gain
 * privileges is refused by the cluster, whatever edits the manifests get later.
 */
function namespace(input: RenderInput): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespaceOf(input),
      labels: {
        ...labels(input, input.stack, "namespace"),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
      },
      annotations: wave(WAVE.namespace),
    },
  };
}

function volumes(input: RenderInput, name: string, service: ServiceConfig): K8sObject[] {
  return service.volume ? [rendered(volumeClaim(input, name, service.type))] : [];
}

function releaseJobObjects(input: RenderInput, name: string, service: ServiceConfig): K8sObject[] {
  return [...volumes(input, name, service), rendered(releaseJobObject(input, name, service))];
}

/**
 * A service's objects. Under a canary or blue/green strategy an Argo Rollout replaces its
 * Deployment, with the AnalysisTemplate that judges it (and blue/green's preview Service).
 */
function serviceObjects(input: RenderInput, name: string, service: ServiceConfig): K8sObject[] {
  const autoscaled = scalingOf(input, service).kind !== "fixed";
  const progressive = rolledOut(input, service);
  const blueGreen = progressive && input.release.config.rollout?.strategy.kind === "blueGreen";
  return [
    ...volumes(input, name, service),
    ...(progressive
      ? [
          ...(judged(service) ? [judgeTemplate(input, name, service)] : []),
          rollout(input, name, service, autoscaled),
        ]
      : [rendered(deployment(input, name, service, autoscaled))]),
    ...(service.type === "web" ? [rendered(clusterService(input, name, service))] : []),
    ...(blueGreen ? [rendered(previewService(input, name, service))] : []),
    ...autoscaler(input, name, service),
    ...disruptionBudget(input, name, service),
  ];
}
