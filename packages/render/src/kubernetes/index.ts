export { applyJsonPatch, diffJson, type PatchOp } from "./json-patch";
export { buildOverlay, compareWithRender } from "./kustomize-build";
export { type K8sObject, namespaceOf } from "./objects";
export { renderOverlays } from "./overlays";
export { evaluateIngress, type PodIdentity } from "./policy-eval";
export { kubernetesManifests, type ManifestFile, renderKubernetes } from "./render";
export { type RequiredSecret, requiredSecrets } from "./secrets";
export { validateKubernetes } from "./validate";
