import { randomBytes } from "node:crypto";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { AddonInstances, BuildRow, JobStatus, ReleaseRow } from "./types";

export function releaseQueries(sql: Sql) {
  const getRelease = async (id: string): Promise<ReleaseRow | undefined> => {
    const [row] = await sql.query("select * from releases where id = $1", [id]);
    return row ? camel<ReleaseRow>(row) : undefined;
  };
  return {
    async getBuild(id: string): Promise<BuildRow | undefined> {
      const [row] = await sql.query("select * from builds where id = $1", [id]);
      return row ? camel<BuildRow>(row) : undefined;
    },
    /** A build is content-addressed: the same tree is the same build, recorded once. */
    async upsertBuild(b: Pick<BuildRow, "id" | "stackId" | "source" | "gitSha" | "dir">): Promise<BuildRow> {
      await sql.query(
        `insert into builds (id, stack_id, source, git_sha, dir, status) values ($1, $2, $3, $4, $5, 'building')
         on conflict (id) do nothing`,
        [b.id, b.stackId, b.source, b.gitSha, b.dir],
      );
      return camel<BuildRow>((await sql.query("select * from builds where id = $1", [b.id]))[0]!);
    },
    async finishBuild(id: string, status: "ready" | "failed", output: string): Promise<void> {
      await sql.query("update builds set status = $2, output = $3 where id = $1", [id, status, output]);
    },
    getRelease,
    /** Numbers releases v1, v2… per environment; the row is never edited after this but for its job status. */
    /**
     * A new release. `addonInstances` absent: it uses the instances the environment's add-ons
     * point at now (read in the same statement); a rollback passes its target's.
     */
    async createRelease(
      r: Omit<ReleaseRow, "id" | "number" | "createdAt" | "jobPid" | "jobExit" | "addonInstances"> & {
        addonInstances?: AddonInstances | null;
      },
    ): Promise<ReleaseRow> {
      const id = `rel_${randomBytes(6).toString("hex")}`;
      await sql.query(
        `insert into releases (id, environment_id, number, build_id, config, config_hash, description, rollback_of, job_status, addon_instances)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from releases where environment_id = $2), $3, $4, $5, $6, $7, $8,
           coalesce($9::jsonb, (select jsonb_object_agg(name, jsonb_build_object('dataDir', data_dir, 'port', port))
                                  from addon_instances where environment_id = $2)))`,
        [
          id,
          r.environmentId,
          r.buildId,
          JSON.stringify(r.config),
          r.configHash,
          r.description,
          r.rollbackOf,
          r.jobStatus,
          r.addonInstances ? JSON.stringify(r.addonInstances) : null,
        ],
      );
      return (await getRelease(id))!;
    },
    async list(environmentId: string): Promise<ReleaseRow[]> {
      return camelAll<ReleaseRow>(
        await sql.query("select * from releases where environment_id = $1 order by number desc", [
          environmentId,
        ]),
      );
    },
    async byNumber(environmentId: string, number: number): Promise<ReleaseRow | undefined> {
      const [row] = await sql.query("select * from releases where environment_id = $1 and number = $2", [
        environmentId,
        number,
      ]);
      return row ? camel<ReleaseRow>(row) : undefined;
    },
    /** Guarded job transition: only from the status the caller expects. */
    async moveJob(
      id: string,
      from: JobStatus,
      to: JobStatus,
      extra: { pid?: number | null; exit?: number | null } = {},
    ): Promise<boolean> {
      const rows = await sql.query(
        `update releases set job_status = $3, job_pid = coalesce($4, job_pid), job_exit = coalesce($5, job_exit)
         where id = $1 and job_status = $2 returning id`,
        [id, from, to, extra.pid ?? null, extra.exit ?? null],
      );
      return rows.length === 1;
    },
  };
}
