import { randomBytes } from "node:crypto";
import type { CanaryState, RolloutCommand } from "@slipway/core";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { JudgementRow, RolloutRow } from "./types";

export function rolloutQueries(sql: Sql) {
  const get = async (id: string): Promise<RolloutRow | undefined> => {
    const [row] = await sql.query("select * from rollouts where id = $1", [id]);
    return row ? camel<RolloutRow>(row) : undefined;
  };
  return {
    get,
    /** Fails (returns undefined) when another rollout is in flight in the environment. */
    async create(
      r: Pick<
        RolloutRow,
        "environmentId" | "kind" | "fromReleaseId" | "toReleaseId" | "source" | "config" | "actor"
      >,
    ): Promise<RolloutRow | undefined> {
      const id = `ro_${randomBytes(6).toString("hex")}`;
      const rows = await sql.query(
        `insert into rollouts (id, environment_id, kind, from_release_id, to_release_id, source, config, phase, actor)
         values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) on conflict do nothing returning id`,
        [
          id,
          r.environmentId,
          r.kind,
          r.fromReleaseId,
          r.toReleaseId,
          r.source,
          JSON.stringify(r.config ?? null),
          r.actor,
        ],
      );
      return rows.length ? get(id) : undefined;
    },
    /**
     * One guarded transition: succeeds only from the phase the caller saw. `at` (epoch ms) is
     * when it happened by the caller's clock, the one that later measures the phase's age
     * (the database's own clock when not given).
     */
    async move(
      id: string,
      from: string,
      to: string,
      patch: Partial<Pick<RolloutRow, "toReleaseId" | "error">> & { at?: number } = {},
    ) {
      const rows = await sql.query(
        `update rollouts set phase = $3, updated_at = coalesce($6::timestamptz, now()),
           to_release_id = coalesce($4, to_release_id), error = coalesce($5, error)
         where id = $1 and phase = $2 returning id`,
        [
          id,
          from,
          to,
          patch.toReleaseId ?? null,
          patch.error ? JSON.stringify(patch.error) : null,
          patch.at === undefined ? null : new Date(patch.at).toISOString(),
        ],
      );
      return rows.length === 1;
    },
    /**
     * Stores a canary's step state (guarded: only while it is analyzing) and clears the command
     * the state applied, unless another arrived meanwhile (the next tick applies that one).
     */
    async saveStep(id: string, state: CanaryState, applied: RolloutCommand | null): Promise<boolean> {
      const rows = await sql.query(
        `update rollouts set step_state = $2,
           command = case when command is not distinct from $3 then null else command end
         where id = $1 and phase = 'analyzing' returning id`,
        [id, JSON.stringify(state), applied],
      );
      return rows.length === 1;
    },
    /**
     * Leaves a command for the next tick of a rollout in one of `phases` (by default while it
     * is analyzing, see `commandPhases`); false when it is in none of them.
     */
    async setCommand(
      id: string,
      command: RolloutCommand,
      phases: readonly string[] = ["analyzing"],
    ): Promise<boolean> {
      const rows = await sql.query(
        "update rollouts set command = $2 where id = $1 and phase = any($3::text[]) returning id",
        [id, command, phases],
      );
      return rows.length === 1;
    },
    async recordJudgement(j: Omit<JudgementRow, "id" | "at"> & { at: number }): Promise<void> {
      await sql.query(
        `insert into rollout_judgements (rollout_id, at, step, weight, verdict, action, reason, judgement)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          j.rolloutId,
          new Date(j.at).toISOString(),
          j.step,
          j.weight,
          j.verdict,
          j.action,
          j.reason,
          JSON.stringify(j.judgement ?? null),
        ],
      );
    },
    async judgements(rolloutId: string): Promise<JudgementRow[]> {
      return camelAll<JudgementRow>(
        await sql.query("select * from rollout_judgements where rollout_id = $1 order by id", [rolloutId]),
      );
    },
    async active(): Promise<RolloutRow[]> {
      return camelAll<RolloutRow>(
        await sql.query(
          "select * from rollouts where phase not in ('succeeded', 'failed') order by created_at",
        ),
      );
    },
    async list(environmentId: string, limit = 20): Promise<RolloutRow[]> {
      return camelAll<RolloutRow>(
        await sql.query(
          "select * from rollouts where environment_id = $1 order by created_at desc limit $2",
          [environmentId, limit],
        ),
      );
    },
  };
}
