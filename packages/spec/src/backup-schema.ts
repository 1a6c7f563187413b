import { DEFAULT_BACKUP_POLICY as D } from "@slipway/core";
import { z } from "zod";

/** An environment's backup policy (`environments.<env>.backup`); every field has the seeds' default. */
export const backupPolicySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(D.enabled)
      .describe("Protect the environment's postgres add-ons: WAL streamed continuously plus base backups."),
    baseBackupEveryHours: z
      .number()
      .positive("baseBackupEveryHours is a number of hours above 0, e.g. 24")
      .default(D.baseBackupEveryHours)
      .describe("Hours between base backups (the WAL in between is streamed continuously)."),
    retentionDays: z
      .number()
      .positive("retentionDays is a number of days above 0, e.g. 35")
      .default(D.retentionDays)
      .describe("Every instant of this many days stays restorable; older backups and WAL are removed."),
    drillEveryDays: z
      .number()
      .positive("drillEveryDays is a number of days above 0, e.g. 30")
      .default(D.drillEveryDays)
      .describe("Days between restore drills (restore latest into a scratch copy, verify, measure RPO/RTO)."),
    rpoTargetSeconds: z
      .number()
      .positive()
      .default(D.rpoTargetSeconds)
      .describe("A drill that finds more than this many seconds of writes missing raises an alert."),
    rtoTargetSeconds: z
      .number()
      .positive()
      .default(D.rtoTargetSeconds)
      .describe("A drill whose restore takes longer than this many seconds raises an alert."),
    verify: z
      .array(z.string().min(1, "a verification query is SQL, e.g. 'select count(*) from users'"))
      .default(D.verify)
      .describe(
        "SQL each drill runs in the restored copy (in the add-on's first database, as its owner role); a query that fails fails the drill.",
      ),
    repository: z
      .strictObject({
        bucket: z
          .string()
          .min(1)
          .describe(
            "Without endpoint: a bucket add-on of this stack. With endpoint: the bucket's name on that service.",
          ),
        endpoint: z
          .url('endpoint is a URL, e.g. "https://s3.eu-central-1.amazonaws.com"')
          .optional()
          .describe("An external S3-compatible service instead of the stack's own bucket add-on."),
        region: z.string().min(1).optional().describe("The external service's region. @default us-east-1"),
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, 'prefix is a key path like "backups/app"')
          .optional()
          .describe(
            "Key prefix inside the bucket; each add-on instance's repository is <prefix>/<env>/<instance>. @default slipway-backups",
          ),
        credentials: z
          .strictObject({
            accessKeyId: z.string().describe("The declared secret holding the access key id."),
            secretAccessKey: z.string().describe("The declared secret holding the secret access key."),
          })
          .optional()
          .describe(
            "For an external endpoint: the names of two declared secrets (secrets: { NAME: {} }: no service receives them) whose values are the credentials; never the values.",
          ),
      })
      .optional()
      .describe(
        "Keep this environment's backups (postgres base backups and WAL, redis snapshots) in a bucket, encrypted before they leave the machine. Absent: a local directory, or a postgres add-on's own backup.bucket.",
      ),
  })
  .describe("Continuous protection of the postgres add-ons, retention and restore drills.");

export type BackupPolicySpec = z.output<typeof backupPolicySchema>;

interface Issue {
  path: (string | number)[];
  message: string;
  params: { hint: string };
}

/**
 * Each environment's backup repository names a bucket add-on of the stack, or (external) a
 * pair of declared secrets for its credentials, available in that environment.
 */
export function backupRepositoryIssues(stack: {
  addons: Record<string, { type: string }>;
  environments: Record<string, { backup: BackupPolicySpec }>;
  secrets: Record<string, { environments?: string[] | undefined }>;
}): Issue[] {
  const issues: Issue[] = [];
  for (const [envName, env] of Object.entries(stack.environments)) {
    const repo = env.backup.repository;
    if (!repo) continue;
    const at = ["environments", envName, "backup", "repository"];
    if (!repo.endpoint) {
      if (Object.hasOwn(stack.addons, repo.bucket) && stack.addons[repo.bucket]!.type === "bucket") continue;
      const buckets = Object.entries(stack.addons).filter(([, a]) => a.type === "bucket");
      issues.push({
        path: [...at, "bucket"],
        message: `${JSON.stringify(repo.bucket)} is not a bucket add-on of this stack`,
        params: {
          hint: buckets.length
            ? `name one of: ${buckets.map(([n]) => n).join(", ")}, or give endpoint and credentials for an external bucket`
            : 'declare one (addons: { backups: { type: "bucket" } }), or give endpoint and credentials for an external bucket',
        },
      });
      continue;
    }
    if (!repo.credentials) {
      issues.push({
        path: [...at, "credentials"],
        message: `the bucket at ${repo.endpoint} needs credentials`,
        params: {
          hint: 'add credentials: { accessKeyId: "BACKUP_KEY_ID", secretAccessKey: "BACKUP_SECRET_KEY" }, two secrets declared under secrets',
        },
      });
      continue;
    }
    for (const field of ["accessKeyId", "secretAccessKey"] as const) {
      const name = repo.credentials[field];
      const declared = Object.hasOwn(stack.secrets, name) ? stack.secrets[name] : undefined;
      if (!declared || (declared.environments && !declared.environments.includes(envName)))
        issues.push({
          path: [...at, "credentials", field],
          message: `${JSON.stringify(name)} is not a secret declared for ${envName}`,
          params: {
            hint: `declare it: secrets: { ${name}: {} }, then set it: slipway secrets set ${name} --env ${envName}`,
          },
        });
    }
  }
  return issues;
}

/** The secrets some environment's backup repository takes its credentials from (no service receives them). */
export function backupCredentialSecrets(
  environments: Record<string, { backup: BackupPolicySpec }>,
): Set<string> {
  const names = new Set<string>();
  for (const env of Object.values(environments)) {
    const c = env.backup.repository?.credentials;
    if (c) names.add(c.accessKeyId).add(c.secretAccessKey);
  }
  return names;
}
