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
  })
  .describe("Continuous protection of the postgres add-ons, retention and restore drills.");

export type BackupPolicySpec = z.output<typeof backupPolicySchema>;
