import { SlipwayError } from "@slipway/core";

/** One environment as the pipeline sees it: how builds reach it. */
export interface PipelineEnvironment {
  /** The environment's name in the stack, e.g. "staging". */
  name: string;
  /** Every successful CI run on this branch deploys here (dev, staging), e.g. "main". */
  autoDeployBranch?: string;
  /** Deploys wait for a reviewer of the GitHub environment of the same name (prod). */
  requiresApproval?: boolean;
  /** Takes the build running in this environment instead of building the commit (`slipway promote`). */
  promotesFrom?: string;
}

/** What `renderGithubActions` renders from. */
export interface GithubActionsInput {
  /** The stack's name, shown in workflow names. */
  stack: string;
  environments: PipelineEnvironment[];
  /** Names of the repository secrets holding the control plane's URL and a deployer token. */
  secrets?: {
    /** @default "SLIPWAY_URL" */
    url?: string;
    /** @default "SLIPWAY_TOKEN" */
    token?: string;
  };
  /** Node.js major for CI and the Slipway CLI. @default "20" */
  nodeVersion?: string;
}

/** The input with defaults filled in and environments ordered upstream first. */
export interface Pipeline {
  stack: string;
  environments: PipelineEnvironment[];
  secrets: { url: string; token: string };
  nodeVersion: string;
}

// Names become job ids, file names and GitHub environment names: keep them to the spec's rule.
const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const SECRET = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;

/**
 * Checks the input and orders environments so each comes after the one it promotes from (ties
 * keep the input's order, so the output is stable). Refuses, naming the field, what a workflow
 * could not express: an unknown or cyclic `promotesFrom`, a name unfit for a job id.
 */
export function resolvePipeline(input: GithubActionsInput): Pipeline {
  const bad = (field: string, message: string, hint: string) =>
    new SlipwayError("SLW_BAD_REQUEST", `${field}: ${message}`, hint, { field });
  const names = input.environments.map((e) => e.name);
  input.environments.forEach((env, i) => {
    const at = `environments[${i}]`;
    if (!NAME.test(env.name))
      throw bad(
        `${at}.name`,
        `${JSON.stringify(env.name)} is not an environment name`,
        'use lowercase letters, digits and "-", e.g. "staging"',
      );
    if (names.indexOf(env.name) !== i)
      throw bad(`${at}.name`, `${JSON.stringify(env.name)} appears twice`, "name each environment once");
    if (env.promotesFrom !== undefined && !names.includes(env.promotesFrom))
      throw bad(
        `${at}.promotesFrom`,
        `no environment named ${JSON.stringify(env.promotesFrom)}`,
        `promote from one of: ${names.join(", ")}`,
      );
    if (env.autoDeployBranch !== undefined && !BRANCH.test(env.autoDeployBranch))
      throw bad(
        `${at}.autoDeployBranch`,
        `${JSON.stringify(env.autoDeployBranch)} is not a branch name`,
        'give a branch such as "main"',
      );
  });
  const secrets = {
    url: input.secrets?.url ?? "SLIPWAY_URL",
    token: input.secrets?.token ?? "SLIPWAY_TOKEN",
  };
  for (const [key, value] of Object.entries(secrets))
    if (!SECRET.test(value))
      throw bad(
        `secrets.${key}`,
        `${JSON.stringify(value)} is not a secret name`,
        "use letters, digits and '_', e.g. SLIPWAY_TOKEN",
      );
  return {
    stack: input.stack,
    environments: upstreamFirst(input.environments, bad),
    secrets,
    nodeVersion: input.nodeVersion ?? "20",
  };
}

function upstreamFirst(
  envs: PipelineEnvironment[],
  bad: (field: string, message: string, hint: string) => Error,
): PipelineEnvironment[] {
  const ordered: PipelineEnvironment[] = [];
  const remaining = [...envs];
  while (remaining.length > 0) {
    const next = remaining.findIndex(
      (e) => e.promotesFrom === undefined || ordered.some((o) => o.name === e.promotesFrom),
    );
    if (next === -1) {
      const cycle = remaining.map((e) => e.name).join(", ");
      throw bad(
        `environments[${envs.indexOf(remaining[0]!)}].promotesFrom`,
        `promotions go round in a cycle (${cycle})`,
        "let the first environment build commits (no promotesFrom)",
      );
    }
    ordered.push(...remaining.splice(next, 1));
  }
  return ordered;
}

/** The part of a loaded stack (`@slipway/spec`'s Stack) the pipeline is made of. */
export interface StackPipeline {
  name: string;
  environments: Record<
    string,
    { autoDeploy?: { branch: string }; promotesFrom?: string; requiresApproval?: boolean }
  >;
}

/** The render input of a stack, from its environments' promotion rules as the spec writes them. */
export function githubActionsInputFromStack(stack: StackPipeline): GithubActionsInput {
  return {
    stack: stack.name,
    environments: Object.entries(stack.environments).map(([name, env]) => ({
      name,
      ...(env.autoDeploy ? { autoDeployBranch: env.autoDeploy.branch } : {}),
      ...(env.promotesFrom ? { promotesFrom: env.promotesFrom } : {}),
      ...(env.requiresApproval ? { requiresApproval: true } : {}),
    })),
  };
}
