import type { Sql } from "./sql";

/** One report's counts: how many jobs ended how, by duration bucket. */
export interface JobCountRow {
  outcome: "completed" | "failed";
  bucket: number;
  count: number;
}

/** Workers' job outcomes per release and service (see migration 012). */
export function jobCountQueries(sql: Sql) {
  return {
    /** Adds one report to the release's counts, in one statement. */
    async add(releaseId: string, service: string, rows: JobCountRow[]): Promise<void> {
      if (!rows.length) return;
      await sql.query(
        `insert into job_counts (release_id, service, outcome, bucket, count)
         select $1, $2, t.outcome, t.bucket, t.count
         from unnest($3::text[], $4::int[], $5::bigint[]) as t(outcome, bucket, count)
         on conflict (release_id, service, outcome, bucket) do update set count = job_counts.count + excluded.count`,
        [releaseId, service, rows.map((r) => r.outcome), rows.map((r) => r.bucket), rows.map((r) => r.count)],
      );
    },
    /** Every count of these releases, for the canary's two revisions. */
    async forReleases(
      releaseIds: string[],
    ): Promise<(JobCountRow & { releaseId: string; service: string })[]> {
      const rows = await sql.query<{
        release_id: string;
        service: string;
        outcome: "completed" | "failed";
        bucket: number;
        count: string | number;
      }>(
        "select release_id, service, outcome, bucket, count from job_counts where release_id = any($1::text[])",
        [releaseIds],
      );
      return rows.map((r) => ({
        releaseId: r.release_id,
        service: r.service,
        outcome: r.outcome,
        bucket: r.bucket,
        count: Number(r.count),
      }));
    },
  };
}
