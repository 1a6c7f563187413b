export { JUDGE_IMAGE_DIR, judgeImageBuild, judgeImageFiles, runsJudge } from "./judge-image";
export { type K8sObject, namespaceOf } from "./objects";
export { evaluateIngress, type PodIdentity } from "./policy-eval";
export { kubernetesManifests, type ManifestFile, renderKubernetes } from "./render";
export { JUDGE_IMAGE } from "./rollouts";
export { type RequiredSecret, requiredSecrets } from "./secrets";
export { validateKubernetes } from "./validate";
