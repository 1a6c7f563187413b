import { readFileSync } from "node:fs";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { Ajv, type ValidateFunction } from "ajv";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Service } from "kubernetes-models/v1";
import { parse } from "yaml";
import type { K8sObject } from "./objects";

/** What is wrong with one rendered object, as its schema says. */
export interface SchemaProblem {
  object: string;
  message: string;
}

type Check = (object: K8sObject) => void;

/** kubernetes-models' schemas (ajv inside): `validate()` throws with the paths that fail. */
const model =
  (Model: new (data: never) => { validate(): void }): Check =>
  (object) =>
    new Model(object as never).validate();

const MODELS: Record<string, Check> = {
  "v1/Namespace": model(Namespace),
  "v1/Service": model(Service),
  "v1/PersistentVolumeClaim": model(PersistentVolumeClaim),
  "apps/v1/Deployment": model(Deployment),
  "apps/v1/StatefulSet": model(StatefulSet),
  "batch/v1/Job": model(Job),
  "batch/v1/CronJob": model(CronJob),
  "networking.k8s.io/v1/Ingress": model(Ingress),
  "networking.k8s.io/v1/NetworkPolicy": model(NetworkPolicy),
  "autoscaling/v2/HorizontalPodAutoscaler": model(HorizontalPodAutoscaler),
  "policy/v1/PodDisruptionBudget": model(PodDisruptionBudget),
  "keda.sh/v1alpha1/ScaledObject": model(ScaledObject),
  "keda.sh/v1alpha1/TriggerAuthentication": model(TriggerAuthentication),
  "v1/ConfigMap": model(ConfigMap),
  "postgresql.cnpg.io/v1/Cluster": crd("cloudnative-pg/postgresql.cnpg.io_clusters.yaml"),
  "postgresql.cnpg.io/v1/Database": crd("cloudnative-pg/postgresql.cnpg.io_databases.yaml"),
  "postgresql.cnpg.io/v1/ScheduledBackup": crd("cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml"),
  "argoproj.io/v1alpha1/Rollout": crd("argo-rollouts/rollout-crd.yaml"),
  "argoproj.io/v1alpha1/AnalysisTemplate": crd("argo-rollouts/analysis-template-crd.yaml"),
  "external-secrets.io/v1/ExternalSecret": crd("external-secrets/external-secrets.io_externalsecrets.yaml"),
};

/**
 * A custom resource (CloudNativePG, Argo Rollouts, External Secrets), checked against the
 * `openAPIV3Schema` of its vendored CRD (packages/render/schemas/). Compiled on first use:
 * these schemas are large.
 * CEL rules (`x-kubernetes-validations`) are the API server's to run, not ajv's.
 */
function crd(file: string): Check {
  let validate: ValidateFunction | undefined;
  return (object) => {
    if (!validate) {
      const definition = parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), "utf8")) as {
        spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
      };
      const version = definition.spec.versions.find((v) => v.name === object.apiVersion.split("/")[1])!;
      validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
        version.schema.openAPIV3Schema,
      );
    }
    if (!validate(object))
      throw new Error(validate.errors!.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; "));
  };
}

/**
 * Every object against its schema, offline (no cluster here, nor in CI). An object of a kind
 * with no schema is a problem too, so nothing new is rendered unchecked.
 */
export function validateKubernetes(objects: K8sObject[]): SchemaProblem[] {
  return objects.flatMap((object) => {
    const id = `${object.kind}/${object.metadata.name}`;
    const check = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!check) return [{ object: id, message: `no schema for ${object.apiVersion} ${object.kind}` }];
    try {
      check(object);
      return [];
    } catch (e) {
      return [{ object: id, message: (e as Error).message }];
    }
  });
}
