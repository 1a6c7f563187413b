import { type AddonConfig, addonsOf, envName, parseTemplate, type ServiceConfig } from "@slipway/core";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { containerPort, releaseLabel, VOLUME_DIR } from "../container";
import type { RenderInput } from "../input";
import { flagsEnvVars, secretEnvVars } from "./config-objects";
import { POSTGRES_PORT, passwordVar, REDIS_PORT, secretNames, userVar } from "./objects";

/**
 * A container's environment: the same names the local driver injects (DATABASE_URL, REDIS_URL,
 * S3_*, NAME_URL per called service, SLIPWAY_*, PORT), with the same precedence, but every
 * connection secret read from a Secret by name (`secretKeyRef`), never written out. A URL that
 * needs a password is composed by Kubernetes from variables defined before it (`$(VAR)`), so
 * the password is only ever in the Secret.
 */
export function containerEnv(input: RenderInput, name: string, service: ServiceConfig): IEnvVar[] {
  const addons = addonsOf(input.release.config);
  const vars = new Map<string, IEnvVar>();
  /** Set unless already set: the first add-on in `uses` keeps the generic names, as locally. */
  const offer = (v: IEnvVar) => {
    if (!vars.has(v.name)) vars.set(v.name, v);
  };
  for (const addon of service.uses) for (const v of addonEnv(addon, addons[addon]!)) offer(v);
  for (const callee of service.calls) {
    const port = containerPort(input.release.config.services[callee]!);
    offer({ name: `${envName(callee)}_URL`, value: `http://${callee}:${port}` });
  }
  const own: IEnvVar[] = [
    { name: "SLIPWAY_SERVICE", value: name },
    { name: "SLIPWAY_ENV", value: input.env },
    { name: "SLIPWAY_RELEASE", value: releaseLabel(input.release.number) },
    { name: "SLIPWAY_BUILD", value: input.release.build },
    ...(service.volume ? [{ name: "SLIPWAY_VOLUME", value: VOLUME_DIR }] : []),
    ...(service.type === "web" ? [{ name: "PORT", value: String(containerPort(service)) }] : []),
  ];
  const ownNames = new Set(own.map((v) => v.name));
  // The service's own env overrides add-on and callee variables, never Slipway's own.
  for (const key of Object.keys(service.env)) if (!ownNames.has(key)) vars.delete(key);
  const user = Object.entries(service.env)
    .filter(([key]) => !ownNames.has(key))
    .map(([key, value]) => ({ name: key, value: kubernetesTemplate(value) }));
  // Order matters: Kubernetes expands $(VAR) only from variables listed before, so the
  // service's own values (which may refer to any injected name) come last.
  const config = [...flagsEnvVars(input), ...secretEnvVars(input, name)];
  return [...helpers(vars), ...own, ...config, ...user];
}

/** Variables that only feed a composed URL go first, then the connection variables. */
function helpers(vars: Map<string, IEnvVar>): IEnvVar[] {
  const all = [...vars.values()];
  const first = all.filter((v) => v.name.startsWith("SLIPWAY_"));
  return [...first, ...all.filter((v) => !v.name.startsWith("SLIPWAY_"))];
}

const fromSecret = (name: string, secret: string, key: string, optional = false): IEnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional: true } : {}) } },
});

/** What a service that uses the add-on gets; names match `addonEnvNames` in the spec. */
function addonEnv(addon: string, config: AddonConfig): IEnvVar[] {
  const own = `${envName(addon)}_URL`;
  switch (config.type) {
    case "postgres": {
      // CloudNativePG keeps the app role's credentials and the first database's URI in <cluster>-app.
      const secret = secretNames.postgres(addon);
      const [first, ...rest] = config.databases;
      const others = rest.length
        ? [fromSecret(userVar(addon), secret, "username"), fromSecret(passwordVar(addon), secret, "password")]
        : [];
      const url = (db: string) =>
        db === first
          ? fromSecret(`DATABASE_URL_${envName(db)}`, secret, "uri")
          : {
              name: `DATABASE_URL_${envName(db)}`,
              value: `postgresql://$(${userVar(addon)}):$(${passwordVar(addon)})@${addon}-rw:${POSTGRES_PORT}/${db}`,
            };
      return [
        ...others,
        fromSecret("DATABASE_URL", secret, "uri"),
        fromSecret(own, secret, "uri"),
        ...config.databases.map(url),
      ];
    }
    case "redis": {
      const url = `redis://:$(${passwordVar(addon)})@${addon}:${REDIS_PORT}`;
      return [
        fromSecret(passwordVar(addon), secretNames.redis(addon), "password"),
        { name: "REDIS_URL", value: url },
        { name: own, value: url },
      ];
    }
    case "bucket": {
      const secret = secretNames.bucket(addon);
      return [
        fromSecret("S3_ENDPOINT", secret, "endpoint"),
        fromSecret("S3_BUCKET", secret, "bucket"),
        fromSecret("S3_REGION", secret, "region"),
        fromSecret("AWS_REGION", secret, "region"),
        fromSecret("AWS_ACCESS_KEY_ID", secret, "access-key-id"),
        fromSecret("AWS_SECRET_ACCESS_KEY", secret, "secret-access-key"),
        // AWS itself wants virtual-hosted buckets; MinIO and friends need "true".
        fromSecret("S3_FORCE_PATH_STYLE", secret, "force-path-style", true),
        fromSecret(`${envName(addon)}_BUCKET`, secret, "bucket"),
      ];
    }
  }
}

/**
 * A spec string (`$(NAME)` references, `$$(` for a literal `$(`, any other `$` literal) as
 * Kubernetes reads it, where `$$` means `$`: every literal `$` is doubled, references kept.
 * The spec loader has already refused references Slipway does not inject.
 */
export function kubernetesTemplate(value: string): string {
  const parsed = parseTemplate(value);
  if (!parsed.ok) return value.replaceAll("$", () => "$$");
  return parsed.parts.map((p) => ("ref" in p ? `$(${p.ref})` : p.text.replaceAll("$", () => "$$"))).join("");
}
