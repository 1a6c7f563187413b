import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { RenderInput } from "../input";
import { type K8sObject, labels, meta, WAVE, wave } from "./objects";

/**
 * Where External Secrets reads the stack's secrets: a ClusterSecretStore the operator
 * configures once for the secrets manager (AWS Secrets Manager, Vault, GCP…). Each secret is
 * one remote key, `<stack>/<environment>/<NAME>`: per environment, as in Slipway's own store.
 */
export const SECRET_STORE = { kind: "ClusterSecretStore", name: "slipway" } as const;
export const remoteKey = (input: RenderInput, name: string) => `${input.stack}/${input.env}/${name}`;

/** The Secret External Secrets writes for one service: only what the spec gives it. */
export const serviceSecretName = (service: string) => `${service}-secrets`;
export const FLAGS_CONFIG_MAP = "flags";
const FLAG_DEFAULTS_KEY = "defaults.json";

/** The declared secrets a service receives as env vars (add-on passwords are CloudNativePG's). */
function secretsOf(input: RenderInput, service: string): string[] {
  return Object.entries(input.release.config.secrets ?? {})
    .filter(([, ref]) => !ref.addon && ref.services.includes(service))
    .map(([name]) => name)
    .sort();
}

/**
 * One ExternalSecret per service that receives secrets: External Secrets fetches the values
 * from the secrets manager into the service's own Secret, so no value is ever in a rendered
 * file, and a rotation in the manager reaches the Secret within `refreshInterval`.
 */
export function externalSecrets(input: RenderInput): K8sObject[] {
  return Object.keys(input.release.config.services)
    .sort()
    .flatMap((service) => {
      const names = secretsOf(input, service);
      if (!names.length) return [];
      return [
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: meta(
            input,
            serviceSecretName(service),
            labels(input, service, "secrets"),
            wave(WAVE.addons),
          ),
          spec: {
            refreshInterval: "1h",
            secretStoreRef: { ...SECRET_STORE },
            target: { name: serviceSecretName(service), creationPolicy: "Owner" },
            data: names.map((name) => ({ secretKey: name, remoteRef: { key: remoteKey(input, name) } })),
          },
        },
      ];
    });
}

/** The Secret External Secrets writes with an external backup repository's credentials. */
export const BACKUP_REPOSITORY_SECRET = "backup-repository";

/**
 * With an external backup repository (`backup.repository.endpoint`), its two credential
 * secrets fetched into `backup-repository` for CloudNativePG; nothing for a bucket add-on,
 * whose own Secret serves.
 */
export function backupRepositorySecret(input: RenderInput): K8sObject | undefined {
  const repository = input.release.config.backup?.repository;
  if (!repository?.endpoint || !repository.credentials) return undefined;
  const { accessKeyId, secretAccessKey } = repository.credentials;
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: meta(
      input,
      BACKUP_REPOSITORY_SECRET,
      labels(input, BACKUP_REPOSITORY_SECRET, "secrets"),
      wave(WAVE.addons),
    ),
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { ...SECRET_STORE },
      target: { name: BACKUP_REPOSITORY_SECRET, creationPolicy: "Owner" },
      data: [
        { secretKey: "access-key-id", remoteRef: { key: remoteKey(input, accessKeyId) } },
        { secretKey: "secret-access-key", remoteRef: { key: remoteKey(input, secretAccessKey) } },
      ],
    },
  };
}

/** The env vars a service's container reads from its ExternalSecret's Secret. */
export function secretEnvVars(input: RenderInput, service: string): IEnvVar[] {
  return secretsOf(input, service).map((name) => ({
    name,
    valueFrom: { secretKeyRef: { name: serviceSecretName(service), key: name } },
  }));
}

/**
 * The spec's flags as a ConfigMap: their definitions, and the defaults the runtime SDK falls
 * back to when no control plane streams their live state (SLIPWAY_FLAGS_DEFAULTS).
 */
export function flagsConfigMap(input: RenderInput): K8sObject | undefined {
  const flags = input.release.config.flags ?? {};
  const names = Object.keys(flags).sort();
  if (!names.length) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(input, FLAGS_CONFIG_MAP, labels(input, FLAGS_CONFIG_MAP, "flags"), wave(WAVE.addons)),
    data: {
      [FLAG_DEFAULTS_KEY]: JSON.stringify(Object.fromEntries(names.map((n) => [n, flags[n]!.default]))),
      "flags.json": `${JSON.stringify(Object.fromEntries(names.map((n) => [n, flags[n]])), null, 2)}\n`,
    },
  };
}

/** SLIPWAY_FLAGS_DEFAULTS from the flags ConfigMap, when the spec has flags. */
export function flagsEnvVars(input: RenderInput): IEnvVar[] {
  if (!Object.keys(input.release.config.flags ?? {}).length) return [];
  return [
    {
      name: "SLIPWAY_FLAGS_DEFAULTS",
      valueFrom: { configMapKeyRef: { name: FLAGS_CONFIG_MAP, key: FLAG_DEFAULTS_KEY } },
    },
  ];
}
