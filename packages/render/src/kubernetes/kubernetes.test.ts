import type { ReleaseConfig, ServiceConfig } from "@slipway/core";
import { DEFAULT_BACKUP_POLICY, isSlipwayError } from "@slipway/core";
import { type Addon, addonEnvNames } from "@slipway/spec";
import { describe, expect, it } from "vitest";
import type { RenderInput } from "../input";
import { baseBackupSchedule } from "./addons";
import { containerEnv, kubernetesTemplate } from "./env";
import { type K8sObject, kubernetesManifests, renderKubernetes, validateKubernetes } from "./index";

const svc = (type: ServiceConfig["type"], extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
  type,
  command: ["node", `${type}.js`],
  env: {},
  replicas: type === "web" || type === "worker" ? 1 : 0,
  ...(type === "web" || type === "worker" ? { scale: { min: 1, max: 1 } } : {}),
  ...(type === "web"
    ? { health: { kind: "http" as const, path: "/healthz", intervalSeconds: 2, timeoutSeconds: 60 } }
    : {}),
  uses: [],
  calls: [],
  drainSeconds: 30,
  ...extra,
});

function input(config: Partial<ReleaseConfig>, release: number | null = 3): RenderInput {
  return {
    stack: "app",
    env: "dev",
    release: {
      number: release,
      build: "0123456789abcdef0123456789abcdef",
      config: { services: {}, routes: [], addons: {}, ...config },
    },
    image: "app:0123456789ab",
  };
}

const objects = (i: RenderInput) => kubernetesManifests(i).flatMap((f) => f.objects);
const find = (i: RenderInput, kind: string, name: string) =>
  objects(i).find((o) => o.kind === kind && o.metadata.name === name);
// biome-ignore lint/suspicious/noExplicitAny: reaching into rendered objects in assertions
const spec = (o: K8sObject | undefined) => o?.spec as any;

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (isSlipwayError(e)) return e;
    throw e;
  }
  throw new Error("expected a SlipwayError");
}

describe("what Kubernetes cannot express is refused, naming the field", () => {
  it("a volume on a service that may run more than one instance", () => {
    const e = refusal(() =>
      renderKubernetes(input({ services: { api: svc("web", { volume: true, scale: { min: 1, max: 3 } }) } })),
    );
    expect(e.code).toBe("SLW_RENDER_UNSUPPORTED");
    expect(e.message).toContain("services.api.volume");
    expect(e.message).toContain("ReadWriteMany");
    expect(e.hint).toContain("services.api.scale.max");
  });

  it("a cron schedule with seconds", () => {
    const e = refusal(() =>
      renderKubernetes(input({ services: { tick: svc("cron", { schedule: "*/30 * * * * *" }) } })),
    );
    expect(e.message).toContain("services.tick.schedule");
  });

  it("a health check that expects a status outside 200-399", () => {
    const health = {
      kind: "http" as const,
      path: "/",
      expect: [200, 401],
      intervalSeconds: 2,
      timeoutSeconds: 60,
    };
    const e = refusal(() => renderKubernetes(input({ services: { api: svc("web", { health }) } })));
    expect(e.message).toContain("services.api.health.expect");
    expect(e.message).toContain("401");
  });

  it("a service that scales from zero on CPU, and names shared by a service and an add-on", () => {
    const e = refusal(() =>
      renderKubernetes(
        input({
          services: { cache: svc("web", { replicas: 0, scale: { min: 0, max: 2 } }) },
          addons: {
            cache: { type: "redis", maxmemory: "64mb", evictionPolicy: "noeviction", persistence: false },
          },
        }),
      ),
    );
    expect(e.message).toContain("services.cache.scale.min");
    expect(e.message).toContain("addons.cache");
    expect(e.detail?.problems).toHaveLength(2);
  });

  it("an add-on an old release does not record, instead of leaving its variables out", () => {
    const i = input({ services: { api: svc("web", { uses: ["db"] }) } });
    delete i.release.config.addons;
    expect(refusal(() => renderKubernetes(i)).message).toContain(
      'services.api.uses: this release does not record the add-on "db"',
    );
  });

  it("a route host with a port", () => {
    const e = refusal(() =>
      renderKubernetes(
        input({
          services: { web: svc("web") },
          routes: [{ path: "/", host: "shop.test:8080", service: "web" }],
        }),
      ),
    );
    expect(e.message).toContain("routes.0.host");
  });
});

describe("container environment", () => {
  const addons: ReleaseConfig["addons"] = {
    main: { type: "postgres", version: 16, databases: ["app", "audit-log"] },
    cache: { type: "redis", maxmemory: "64mb", evictionPolicy: "noeviction", persistence: true },
    files: { type: "bucket" },
  };

  it("has the names the local driver injects, connection values only from Secrets", () => {
    for (const [name, addon] of Object.entries(addons)) {
      const i = input({ services: { w: svc("worker", { uses: [name] }) }, addons });
      const env = containerEnv(i, "w", i.release.config.services.w!);
      const names = env.map((v) => v.name).filter((n) => !n.startsWith("SLIPWAY_"));
      expect(names.sort()).toEqual(addonEnvNames(name, addon as Addon).sort());
      // A URL written out may carry credentials only as references to Secret-fed variables.
      for (const v of env.filter((e) => e.value !== undefined)) {
        const userinfo = /:\/\/([^@/]*)@/.exec(v.value!)?.[1];
        if (userinfo !== undefined) expect(userinfo, v.name).toMatch(/^(\$\(\w+\))?:\$\(\w+\)$/);
      }
      for (const v of env.filter((e) => e.valueFrom))
        expect(v.valueFrom!.secretKeyRef?.name, v.name).toMatch(/-(app|redis|s3)$/);
    }
  });

  it("composes URLs from Secret-fed variables defined before them", () => {
    const i = input({ services: { w: svc("worker", { uses: ["main", "cache"] }) }, addons });
    const env = containerEnv(i, "w", i.release.config.services.w!);
    const at = (name: string) => env.findIndex((v) => v.name === name);
    expect(env[at("REDIS_URL")]!.value).toBe("redis://:$(SLIPWAY_CACHE_PASSWORD)@cache:6379");
    expect(at("SLIPWAY_CACHE_PASSWORD")).toBeLessThan(at("REDIS_URL"));
    expect(env[at("DATABASE_URL_AUDIT_LOG")]!.value).toBe(
      "postgresql://$(SLIPWAY_MAIN_USER):$(SLIPWAY_MAIN_PASSWORD)@main-rw:5432/audit-log",
    );
    expect(env[at("DATABASE_URL")]!.valueFrom).toEqual({ secretKeyRef: { name: "main-app", key: "uri" } });
  });

  it("lets the service's env override an add-on's variable but never Slipway's own, and puts it last", () => {
    const i = input({
      services: {
        api: svc("web", {
          uses: ["cache"],
          env: { REDIS_URL: "redis://elsewhere", PORT: "1", X: "$(PORT)" },
        }),
      },
      addons,
    });
    const env = containerEnv(i, "api", i.release.config.services.api!);
    expect(env.filter((v) => v.name === "REDIS_URL")).toEqual([
      { name: "REDIS_URL", value: "redis://elsewhere" },
    ]);
    expect(env.filter((v) => v.name === "PORT")).toEqual([{ name: "PORT", value: "8080" }]);
    expect(env.at(-1)).toEqual({ name: "X", value: "$(PORT)" });
  });

  it("keeps literal dollars literal under Kubernetes' $$ rule", () => {
    expect(kubernetesTemplate("a$b $$(X) $(PORT) $$")).toBe("a$$b $$(X) $(PORT) $$$$");
  });
});

describe("objects", () => {
  it("routes: longest prefix first, and each host keeps the catch-all routes it does not override", () => {
    const i = input({
      services: { api: svc("web"), web: svc("web"), admin: svc("web") },
      routes: [
        { path: "/", service: "web" },
        { path: "/api/", service: "api" },
        { path: "/api", host: "Admin.Example.com", service: "admin" },
      ],
    });
    const rules = spec(find(i, "Ingress", "app")).rules;
    const paths = (r: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }) =>
      r.http.paths.map((p) => `${p.path}→${p.backend.service.name}`);
    expect(rules.map((r: { host?: string }) => r.host)).toEqual(["admin.example.com", undefined]);
    expect(paths(rules[0])).toEqual(["/api→admin", "/→web"]);
    expect(paths(rules[1])).toEqual(["/api→api", "/→web"]);
  });

  it("the release job is named after its release, so each release runs it once", () => {
    const config = { services: { migrate: svc("release"), api: svc("web") } };
    expect(find(input(config, 12), "Job", "migrate-v12")).toBeDefined();
    expect(find(input(config, null), "Job", "migrate-0123456789ab")).toBeDefined();
    const job = find(input(config, 12), "Job", "migrate-v12")!;
    expect(job.metadata.annotations).toEqual({ "argocd.argoproj.io/sync-wave": "0" });
    expect(spec(find(input(config, 12), "Deployment", "api")).replicas).toBe(1);
    expect(find(input(config, 12), "Deployment", "api")!.metadata.annotations).toEqual({
      "argocd.argoproj.io/sync-wave": "1",
    });
  });

  it("scaling: KEDA on the BullMQ queue, an HPA on CPU, a PDB from two instances, fixed otherwise", () => {
    const addons: ReleaseConfig["addons"] = {
      cache: { type: "redis", maxmemory: "64mb", evictionPolicy: "noeviction", persistence: false },
    };
    const i = input({
      services: {
        jobs: svc("worker", { uses: ["cache"], queue: "emails", replicas: 0, scale: { min: 0, max: 5 } }),
        api: svc("web", { replicas: 2, scale: { min: 2, max: 6 } }),
        fixed: svc("worker", { replicas: 2, scale: { min: 2, max: 2 } }),
      },
      addons,
    });
    const trigger = spec(find(i, "ScaledObject", "jobs")).triggers[0];
    expect(trigger.metadata).toMatchObject({
      listName: "bull:emails:wait",
      address: "cache.app-dev.svc:6379",
    });
    expect(spec(find(i, "TriggerAuthentication", trigger.authenticationRef.name)).secretTargetRef).toEqual([
      { parameter: "password", name: "cache-redis", key: "password" },
    ]);
    expect(spec(find(i, "Deployment", "jobs")).replicas).toBeUndefined();
    expect(spec(find(i, "HorizontalPodAutoscaler", "api"))).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    expect(spec(find(i, "PodDisruptionBudget", "api")).maxUnavailable).toBe(1);
    expect(spec(find(i, "Deployment", "fixed")).replicas).toBe(2);
    expect(find(i, "HorizontalPodAutoscaler", "fixed")).toBeUndefined();
    expect(validateKubernetes(objects(i))).toEqual([]);
  });

  it("a volume becomes a claim mounted at $SLIPWAY_VOLUME, recreated rather than rolled", () => {
    const i = input({ services: { files: svc("web", { volume: true }) } });
    expect(spec(find(i, "PersistentVolumeClaim", "files-data")).accessModes).toEqual(["ReadWriteOnce"]);
    const deploymentSpec = spec(find(i, "Deployment", "files"));
    expect(deploymentSpec.strategy).toEqual({ type: "Recreate" });
    expect(deploymentSpec.template.spec.containers[0].volumeMounts).toContainEqual({
      name: "data",
      mountPath: "/data",
    });
  });

  it("postgres with several databases: a Cluster for the first, a Database object for each other, all valid", () => {
    const i = input({
      services: { api: svc("web", { uses: ["main"] }) },
      addons: { main: { type: "postgres", version: 16, databases: ["app", "audit-log"] } },
    });
    expect(spec(find(i, "Cluster", "main")).bootstrap).toEqual({ initdb: { database: "app", owner: "app" } });
    expect(spec(find(i, "Database", "main-audit-log"))).toEqual({
      name: "audit-log",
      owner: "app",
      cluster: { name: "main" },
    });
    expect(validateKubernetes(objects(i))).toEqual([]);
  });

  it("a cron service runs in UTC and skips a run while the last one still goes", () => {
    const i = input({ services: { report: svc("cron", { schedule: "0 3 * * *" }) } });
    expect(spec(find(i, "CronJob", "report"))).toMatchObject({
      schedule: "0 3 * * *",
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
    });
  });
});

describe("postgres backups become CloudNativePG WAL archiving and a ScheduledBackup", () => {
  const withBackup = input({
    addons: {
      db: { type: "postgres", version: 15, databases: ["app"], backup: { bucket: "files" } },
      files: { type: "bucket", bucket: "acme-backups" },
    },
  });

  it("archives WAL and base backups into the bucket add-on, with its Secret and a retention policy", () => {
    const cluster = spec(find(withBackup, "Cluster", "db"));
    // No policy in the release: the seeds' defaults (35 days, a 5-minute archive timeout).
    expect(cluster.postgresql).toEqual({ parameters: { archive_timeout: "300s" } });
    expect(cluster.backup).toEqual({
      retentionPolicy: "35d",
      barmanObjectStore: {
        destinationPath: "s3://acme-backups/app-dev",
        s3Credentials: {
          accessKeyId: { name: "files-s3", key: "access-key-id" },
          secretAccessKey: { name: "files-s3", key: "secret-access-key" },
          region: { name: "files-s3", key: "region" },
        },
        wal: { compression: "zstd", encryption: "AES256" },
        data: { compression: "lz4", encryption: "AES256" },
      },
    });
  });

  it("takes a base backup at once and daily, and every object passes its CRD schema", () => {
    const scheduled = find(withBackup, "ScheduledBackup", "db-base-backup");
    expect(spec(scheduled)).toEqual({
      cluster: { name: "db" },
      schedule: "0 0 3 * * *",
      method: "barmanObjectStore",
      immediate: true,
      backupOwnerReference: "self",
    });
    expect(validateKubernetes(objects(withBackup))).toEqual([]);
  });

  it("takes retention, the base-backup schedule and the archive timeout from the environment's policy", () => {
    const withPolicy = input({
      ...withBackup.release.config,
      backup: {
        ...DEFAULT_BACKUP_POLICY,
        baseBackupEveryHours: 6,
        retentionDays: 14,
        rpoTargetSeconds: 60,
      },
    });
    const cluster = spec(find(withPolicy, "Cluster", "db"));
    expect(cluster.backup.retentionPolicy).toBe("14d");
    expect(cluster.postgresql.parameters.archive_timeout).toBe("60s");
    expect(spec(find(withPolicy, "ScheduledBackup", "db-base-backup")).schedule).toBe("0 0 */6 * * *");
    expect(validateKubernetes(objects(withPolicy))).toEqual([]);
  });

  it("backs every postgres add-on up into the environment's repository: a bucket add-on, or an external endpoint", () => {
    const addons = {
      db: { type: "postgres" as const, version: 15, databases: ["app"] },
      files: { type: "bucket" as const, bucket: "acme-files" },
    };
    const intoAddon = input({
      addons,
      backup: { ...DEFAULT_BACKUP_POLICY, repository: { bucket: "files" } },
    });
    expect(spec(find(intoAddon, "Cluster", "db")).backup.barmanObjectStore.destinationPath).toBe(
      "s3://acme-files/app-dev",
    );
    expect(find(intoAddon, "ScheduledBackup", "db-base-backup")).toBeDefined();

    const external = input({
      addons,
      backup: {
        ...DEFAULT_BACKUP_POLICY,
        repository: {
          bucket: "offsite",
          endpoint: "https://s3.example.net",
          prefix: "shop",
          credentials: { accessKeyId: "BK_ID", secretAccessKey: "BK_KEY" },
        },
      },
    });
    const store = spec(find(external, "Cluster", "db")).backup.barmanObjectStore;
    expect(store).toMatchObject({
      destinationPath: "s3://offsite/shop/app-dev",
      endpointURL: "https://s3.example.net",
      s3Credentials: {
        accessKeyId: { name: "backup-repository", key: "access-key-id" },
        secretAccessKey: { name: "backup-repository", key: "secret-access-key" },
      },
    });
    // The credentials come from the secrets manager by name; no value is rendered.
    expect(spec(find(external, "ExternalSecret", "backup-repository")).data).toEqual([
      { secretKey: "access-key-id", remoteRef: { key: "app/dev/BK_ID" } },
      { secretKey: "secret-access-key", remoteRef: { key: "app/dev/BK_KEY" } },
    ]);
    expect(validateKubernetes(objects(external))).toEqual([]);
    // Without a repository or the add-on's own bucket, nothing is backed up in a cluster.
    expect(find(input({ addons }), "ScheduledBackup", "db-base-backup")).toBeUndefined();
  });

  it("schedules base backups never less often than the policy asks", () => {
    expect(baseBackupSchedule(24)).toBe("0 0 3 * * *");
    expect(baseBackupSchedule(48)).toBe("0 0 3 */2 * *");
    expect(baseBackupSchedule(36)).toBe("0 0 3 * * *");
    expect(baseBackupSchedule(12)).toBe("0 0 */12 * * *");
    expect(baseBackupSchedule(5)).toBe("0 0 */4 * * *");
    expect(baseBackupSchedule(1)).toBe("0 0 * * * *");
    expect(baseBackupSchedule(0.5)).toBe("0 */30 * * * *");
    expect(baseBackupSchedule(0.1)).toBe("0 */6 * * * *");
    expect(baseBackupSchedule(0.25 / 60)).toBe("0 * * * * *");
  });

  it("the ScheduledBackup schema refuses what a cluster would", () => {
    const broken = structuredClone(objects(withBackup));
    const scheduled = broken.find((o) => o.kind === "ScheduledBackup")!;
    delete (scheduled.spec as { schedule?: string }).schedule;
    (scheduled.spec as { method: string }).method = "rsync";
    const problems = validateKubernetes(broken);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.object).toBe("ScheduledBackup/db-base-backup");
    expect(problems[0]!.message).toMatch(/must have required property 'schedule'/);
    expect(problems[0]!.message).toMatch(/method must be equal to one of the allowed values/);
  });

  it("renders no backup for a postgres add-on without one", () => {
    const plain = input({ addons: { db: { type: "postgres", version: 15, databases: ["app"] } } });
    expect(spec(find(plain, "Cluster", "db")).backup).toBeUndefined();
    expect(objects(plain).some((o) => o.kind === "ScheduledBackup")).toBe(false);
  });

  it("refuses redis snapshots, which only the local driver takes, naming the field", () => {
    const e = refusal(() =>
      renderKubernetes(
        input({
          addons: {
            cache: {
              type: "redis",
              maxmemory: "64mb",
              evictionPolicy: "noeviction",
              persistence: false,
              backup: { snapshots: "hourly" },
            },
          },
        }),
      ),
    );
    expect(e.code).toBe("SLW_RENDER_UNSUPPORTED");
    expect(e.message).toMatch(/addons\.cache\.backup: RDB snapshots/);
    expect(e.hint).toMatch(/persistence: true/);
  });
});
