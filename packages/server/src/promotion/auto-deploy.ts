import { autoDeployChain, isSlipwayError } from "@slipway/core";
import type { AutoDeployRow, RolloutRow } from "@slipway/store";
import type { Ctx } from "../context";
import { loadSpec } from "../spec";
import type { GitBranches } from "./git-branch";
import type { Promotions } from "./promotion-ops";
import { promotionTargets } from "./rules";

export interface AutoDeployPorts {
  git: GitBranches;
  /** Starts a deploy of a git commit to an environment (as `slipway deploy --ref`). */
  deploy(env: string, ref: string, actor: string): Promise<RolloutRow>;
  promotions: Pick<Promotions, "promote">;
  /** Resolves with the rollout once it is over (or the control plane stops driving it). */
  finished(rolloutId: string): Promise<RolloutRow>;
}

const ACTOR = "auto-deploy";

/**
 * Watches the branches environments auto-deploy from. One `tick` reads each watched
 * repository's branch head; a commit not acted on yet goes down the chain (core's
 * `autoDeployChain`: dev before staging): the first environment builds it, each next one
 * that promotes from the previous gets the same build promoted, under its rule. The chain
 * stops at the first failure or refusal, and says so in an event. Ticks come from `start`'s
 * timer, or from a test, one at a time.
 */
export class AutoDeployer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly ports: AutoDeployPorts,
  ) {}

  start(everyMs: number): void {
    const loop = () => {
      this.running = this.tick()
        .catch((e: unknown) => this.ctx.log.error({ err: e }, "auto-deploy tick failed"))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, everyMs);
        });
    };
    this.timer = setTimeout(loop, everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async tick(): Promise<void> {
    const enabled = await this.ctx.store.promotions.autoDeploys(this.ctx.stackId);
    if (!enabled.length) return;
    const stack = await loadSpec(this.ctx.projectDir);
    const branchOf = (env: string) =>
      Object.hasOwn(stack.environments, env) ? stack.environments[env]!.autoDeploy?.branch : undefined;
    // One chain per repository and branch watched.
    const groups = new Map<string, AutoDeployRow[]>();
    for (const a of enabled) {
      const branch = branchOf(a.env);
      if (branch === undefined) continue; // the spec no longer says where from
      const key = JSON.stringify([a.repo, branch]);
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    const targets = await promotionTargets(this.ctx, stack);
    for (const [key, rows] of groups) {
      const [repo, branch] = JSON.parse(key) as [string, string];
      const head = await this.ports.git.head(repo, branch);
      if ("error" in head) {
        this.ctx.log.warn({ repo, branch }, head.error);
        continue;
      }
      if (rows.every((r) => r.lastSha === head.sha)) continue;
      const fetched = await this.ports.git.fetch(repo, branch, this.ctx.projectDir);
      if ("error" in fetched) {
        // Not marked seen: a network that is down now is tried again on the next tick.
        this.ctx.log.warn({ repo, branch }, fetched.error);
        continue;
      }
      const names = new Set(rows.map((r) => r.env));
      const chain = autoDeployChain(
        targets.map((t) => ({ ...t, autoDeployEnabled: t.autoDeployEnabled && names.has(t.name) })),
        branch,
      );
      // Acted on, whatever came of it: a failed commit is not retried; the next one is. A chain
      // cut short by shutdown is not: the next start takes it up (done steps are skipped).
      if (!(await this.runChain(repo, branch, head.sha, chain))) return;
      await this.ctx.store.promotions.markSeen(this.ctx.stackId, [...names], head.sha);
    }
  }

  /** False when shutdown cut the chain short; true when it ran to its end or stopped at a failure. */
  private async runChain(
    repo: string,
    branch: string,
    sha: string,
    chain: ReturnType<typeof autoDeployChain>,
  ): Promise<boolean> {
    const short = sha.slice(0, 12);
    const subject = `${this.ctx.stackId}/auto-deploy/${branch}`;
    const envs = chain.map((s) => s.env);
    const say = (kind: string, message: string, data: Record<string, unknown> = {}) =>
      this.ctx.event({
        kind,
        subject,
        actor: ACTOR,
        message,
        data: { sha, branch, repo, chain: envs, ...data },
      });
    await say(
      "autodeploy.started",
      `new commit ${short} on ${branch}: ${chain.map((s) => s.env).join(" → ") || "no environment"}`,
    );
    let upstream: string | undefined;
    for (const [i, step] of chain.entries()) {
      if (this.stopped) return false;
      if (step.do === "skip") {
        await say("autodeploy.skipped", `${step.env} skipped: ${step.reason}`, { env: step.env });
        continue;
      }
      if (await this.runsCommit(step.env, sha)) {
        // Done already (by an earlier chain this commit started, say before a restart).
        await say("autodeploy.skipped", `${step.env} already runs ${short}`, { env: step.env });
        upstream = step.env;
        continue;
      }
      const outcome = await this.deployOne(step.env, upstream, sha);
      if (this.stopped) return false;
      if (outcome.failed) {
        const rest = chain.slice(i + 1).map((s) => s.env);
        await say(
          "autodeploy.stopped",
          `auto-deploy of ${short} stopped at ${step.env}: ${outcome.failed}${rest.length ? `; not deployed: ${rest.join(", ")}` : ""}`,
          { env: step.env, notDeployed: rest },
        );
        return true;
      }
      upstream = step.env;
    }
    const live = chain.filter((s) => s.do === "deploy").map((s) => s.env);
    await say("autodeploy.finished", `${short} is live in ${live.join(", ")}`, { live });
    return true;
  }

  private async runsCommit(envName: string, sha: string): Promise<boolean> {
    const env = await this.ctx.store.environments.get(this.ctx.stackId, envName);
    const live = env?.liveReleaseId ? await this.ctx.store.releases.getRelease(env.liveReleaseId) : undefined;
    return !!live && (await this.ctx.store.releases.getBuild(live.buildId))?.gitSha === sha;
  }

  /** Builds the commit in the first environment; promotes that build to the next ones. */
  private async deployOne(
    env: string,
    upstream: string | undefined,
    sha: string,
  ): Promise<{ failed?: string }> {
    let rollout: RolloutRow | undefined;
    try {
      const stack = await loadSpec(this.ctx.projectDir);
      const from = stack.environments[env]?.promotesFrom;
      if (upstream !== undefined && from === upstream) {
        const r = await this.ports.promotions.promote(upstream, env, {}, ACTOR);
        if (!r.rollout)
          return { failed: `the promotion awaits approval (slipway approve ${r.promotion.id})` };
        rollout = r.rollout;
      } else rollout = await this.ports.deploy(env, sha, ACTOR);
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      return { failed: e.message };
    }
    const done = await this.ports.finished(rollout.id);
    if (done.phase === "succeeded") return {};
    return { failed: `rollout ${done.id} ${done.phase}${done.error ? `: ${done.error.message}` : ""}` };
  }
}
