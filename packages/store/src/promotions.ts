import { randomBytes } from "node:crypto";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { AutoDeployRow, BuildRejectionRow, HoldRow, PromotionRow } from "./types";

/** Promotions and what governs them: build rejections, holds, auto-deploy enablement. */
export function promotionQueries(sql: Sql) {
  const get = async (id: string): Promise<PromotionRow | undefined> => {
    const [row] = await sql.query("select * from promotions where id = $1", [id]);
    return row ? camel<PromotionRow>(row) : undefined;
  };
  return {
    get,
    /** Undefined when another promotion already waits for approval in `toEnv`. */
    async create(
      p: Pick<
        PromotionRow,
        "stackId" | "fromEnv" | "toEnv" | "buildId" | "fromReleaseId" | "state" | "requestedBy" | "rolloutId"
      >,
    ): Promise<PromotionRow | undefined> {
      const id = `pro_${randomBytes(6).toString("hex")}`;
      const rows = await sql.query(
        `insert into promotions (id, stack_id, from_env, to_env, build_id, from_release_id, state, requested_by, rollout_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing returning id`,
        [id, p.stackId, p.fromEnv, p.toEnv, p.buildId, p.fromReleaseId, p.state, p.requestedBy, p.rolloutId],
      );
      return rows.length ? get(id) : undefined;
    },
    /** awaiting-approval → released | rejected, once: false when someone decided first. */
    async decide(
      id: string,
      to: "released" | "rejected",
      by: string,
      extra: { reason?: string; rolloutId?: string } = {},
    ): Promise<boolean> {
      const rows = await sql.query(
        `update promotions set state = $2, decided_by = $3, decided_at = now(), reason = $4, rollout_id = $5
         where id = $1 and state = 'awaiting-approval' returning id`,
        [id, to, by, extra.reason ?? null, extra.rolloutId ?? null],
      );
      return rows.length === 1;
    },
    async list(stackId: string, limit = 50): Promise<PromotionRow[]> {
      return camelAll<PromotionRow>(
        await sql.query("select * from promotions where stack_id = $1 order by requested_at desc limit $2", [
          stackId,
          limit,
        ]),
      );
    },
    async rejection(buildId: string): Promise<BuildRejectionRow | undefined> {
      const [row] = await sql.query("select * from build_rejections where build_id = $1", [buildId]);
      return row ? camel<BuildRejectionRow>(row) : undefined;
    },
    /** Rejecting is forever: a second rejection keeps the first one's author and reason. */
    async rejectBuild(buildId: string, by: string, reason: string): Promise<void> {
      await sql.query(
        "insert into build_rejections (build_id, rejected_by, reason) values ($1, $2, $3) on conflict do nothing",
        [buildId, by, reason],
      );
    },
    async holds(stackId: string): Promise<HoldRow[]> {
      return camelAll<HoldRow>(
        await sql.query("select * from environment_holds where stack_id = $1", [stackId]),
      );
    },
    async hold(stackId: string, env: string, by: string, reason: string): Promise<void> {
      await sql.query(
        `insert into environment_holds (stack_id, env, held_by, reason) values ($1, $2, $3, $4)
         on conflict (stack_id, env) do update set held_by = excluded.held_by, reason = excluded.reason, at = now()`,
        [stackId, env, by, reason],
      );
    },
    /** False when there was no hold. */
    async liftHold(stackId: string, env: string): Promise<boolean> {
      const rows = await sql.query(
        "delete from environment_holds where stack_id = $1 and env = $2 returning env",
        [stackId, env],
      );
      return rows.length === 1;
    },
    async autoDeploys(stackId: string): Promise<AutoDeployRow[]> {
      return camelAll<AutoDeployRow>(
        await sql.query("select * from auto_deploys where stack_id = $1 order by env", [stackId]),
      );
    },
    async enableAutoDeploy(stackId: string, env: string, repo: string, by: string): Promise<void> {
      await sql.query(
        `insert into auto_deploys (stack_id, env, repo, enabled_by) values ($1, $2, $3, $4)
         on conflict (stack_id, env) do update set repo = excluded.repo, enabled_by = excluded.enabled_by, enabled_at = now()`,
        [stackId, env, repo, by],
      );
    },
    /** False when it was not enabled. */
    async disableAutoDeploy(stackId: string, env: string): Promise<boolean> {
      const rows = await sql.query(
        "delete from auto_deploys where stack_id = $1 and env = $2 returning env",
        [stackId, env],
      );
      return rows.length === 1;
    },
    /** Records the commit auto-deploy acted on for these environments (whatever came of it). */
    async markSeen(stackId: string, envs: string[], sha: string): Promise<void> {
      await sql.query("update auto_deploys set last_sha = $3 where stack_id = $1 and env = any($2::text[])", [
        stackId,
        envs,
        sha,
      ]);
    },
  };
}
